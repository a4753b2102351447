import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { knownKeysAt } from '../../../shared/config/diagnostics.js';
import { ENV_BINDINGS } from '../../../shared/config/env.js';
import { FLAG_BINDINGS } from '../../../shared/config/flags.js';
import { ROOT } from '../../helpers/paths.js';

/** docs/configuration.md names every key, every variable and its legacy name, and every flag. */
const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');

function leafPaths(prefix: string[] = []): string[] {
  return knownKeysAt(prefix).flatMap((key) => {
    const path = [...prefix, key];
    return knownKeysAt(path).length > 0 ? leafPaths(path) : [path.join('.')];
  });
}

t.test('every config key is documented', async (t) => {
  const leaves = leafPaths();
  t.ok(leaves.length > 50, `${leaves.length} keys found`);
  t.same(leaves.filter((k) => !doc.includes(`| \`${k}\` |`)), []);
});

t.test('every environment variable and its legacy name are documented', async (t) => {
  t.same(ENV_BINDINGS.flatMap((b) => [b.name, b.legacy ?? b.name]).filter((name) => !doc.includes(`\`${name}\``)), []);
});

t.test('every config flag is documented', async (t) => {
  t.same(FLAG_BINDINGS.map((b) => b.flags).filter((flags) => !doc.includes(`\`${flags}\``)), []);
  t.ok(doc.includes('`--no-respawn`'));
});
