import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startPropane } from '../helpers/propane.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`--pid-file holds the supervisor pid while it runs and is removed when it exits on ${signal}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'propane-i3-pid-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const pidFile = join(dir, 'propane.pid');
    const node = await startPropane(t, { workers: 1, args: ['--pid-file', pidFile] });
    t.equal(readFileSync(pidFile, 'utf8'), `${node.pid}\n`);
    node.proc.kill(signal);
    t.same(await node.exited, { code: 0, signal: null });
    t.notOk(existsSync(pidFile), 'removed at exit');
  });
}
