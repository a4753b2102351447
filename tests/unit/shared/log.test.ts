import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { ROOT } from '../../helpers/paths.js';

/**
 * The logger in a process of its own (it writes to fd 1 synchronously): `script`
 * gets `createLogger`, `logEvent` and `pinoLoaded()`; its stdout lines come back parsed,
 * what it writes to stderr as text.
 */
function run(script: string): { lines: Array<Record<string, unknown>>; stderr: string } {
  const log = pathToFileURL(join(ROOT, 'dist/shared/log.js')).href;
  const prelude = `import { createLogger, logEvent } from '${log}'; import { createRequire } from 'node:module';
    const pinoLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/pino/'));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${prelude}\n${script}`], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return { lines: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
}

t.test('loads pino only at the first line at or above the level', async (t) => {
  const { lines, stderr } = run(`
    const log = createLogger('worker', 'info').child({ slot: 3 });
    log.debug({ event: 'request' }, 'below the level');
    process.stderr.write('after debug: ' + pinoLoaded() + '\\n');
    logEvent(log, 'warn', 'backpressure', { reason: 'x' }, 'at the level');
    process.stderr.write('after warn: ' + pinoLoaded() + '\\n');`);
  t.equal(stderr, 'after debug: false\nafter warn: true\n');
  t.equal(lines.length, 1);
  t.match(lines[0], { level: 40, role: 'worker', slot: 3, event: 'backpressure', reason: 'x', msg: 'at the level' });
  t.type(lines[0]!.pid, 'number');
  t.type(lines[0]!.time, 'string');
});

t.test('children stack their bindings in order and share the root', async (t) => {
  const { lines } = run(`
    const root = createLogger('supervisor', 'debug');
    const a = root.child({ slot: 1 });
    a.child({ conn: 'c' }).debug({ event: 'request' }, 'deep');
    root.info({ event: 'listening' }, 'root');`);
  t.match(lines, [{ level: 20, role: 'supervisor', slot: 1, conn: 'c', msg: 'deep' }, { level: 30, msg: 'root' }]);
  t.notOk('slot' in lines[1]!, 'the root line has no child binding');
});

t.test('isLevelEnabled answers from the configured level, without loading pino', async (t) => {
  const { stderr } = run(`
    const log = createLogger('worker', 'warn');
    process.stderr.write([log.isLevelEnabled('info'), log.isLevelEnabled('warn'), log.isLevelEnabled('fatal'), createLogger('cli', 'silent').isLevelEnabled('fatal'), pinoLoaded()].join(' '));`);
  t.equal(stderr, 'false true true false false');
});

t.test('secrets are redacted as before', async (t) => {
  const { lines } = run(`createLogger('worker').info({ token: 'abc', nested: { password: 'p' } }, 'x');`);
  t.match(lines[0], { token: '<redacted>', nested: { password: '<redacted>' } });
});
