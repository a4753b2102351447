import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ERRORS, PropaneError, type ErrorCode } from '../../../shared/errors.js';
import { ROOT } from '../../helpers/paths.js';

/** The registry and docs/errors.md stay in sync, as fastify's errors.test.js keeps its docs. */
const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
const sections = new Map<string, string>();
for (const part of doc.split(/^## /m).slice(1)) {
  const [heading, ...body] = part.split('\n');
  sections.set(heading!.trim(), body.join('\n'));
}
const codes = Object.keys(ERRORS) as ErrorCode[];

t.test('every code in shared/errors.ts is documented in docs/errors.md', async (t) => {
  t.same(codes.filter((c) => !sections.has(c)), []);
});

t.test('every code documented in docs/errors.md exists in shared/errors.ts', async (t) => {
  t.same([...sections.keys()].filter((c) => !(c in ERRORS)), []);
});

for (const code of codes) {
  t.test(`${code} documents its exit code ${ERRORS[code].exitCode}, its meaning and its fix`, async (t) => {
    const body = sections.get(code) ?? '';
    t.equal(/\*\*Exit code:\*\* (\d)/.exec(body)?.[1], String(ERRORS[code].exitCode));
    t.match(body, /\*\*Fix:\*\* \S/);
    t.ok(body.replace(/\*\*[^*]+\*\*[^\n]*/g, '').trim().length > 40, 'says what it means');
    t.equal(new PropaneError(code, 'x').exitCode, ERRORS[code].exitCode);
  });
}

t.test('the registry and the doc are both alphabetized', async (t) => {
  t.same(codes, [...codes].sort());
  t.same([...sections.keys()], [...sections.keys()].sort());
});

t.test('exit codes stay within the contract: 1, 2 or 3', async (t) => {
  t.same(codes.filter((c) => ![1, 2, 3].includes(ERRORS[c].exitCode)), []);
});
