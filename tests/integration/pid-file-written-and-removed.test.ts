import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startPropane } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`--pid-file holds the supervisor pid while it runs and is removed when it exits on ${signal}`, async (t) => {
    const dir = tempDir(t);
    const pidFile = join(dir, 'propane.pid');
    const node = await startPropane(t, { workers: 1, args: ['--pid-file', pidFile] });
    t.equal(readFileSync(pidFile, 'utf8'), `${node.pid}\n`);
    node.proc.kill(signal);
    t.same(await node.exited, { code: 0, signal: null });
    t.notOk(existsSync(pidFile), 'removed at exit');
  });
}
