import { existsSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { tempSocketPath } from '../helpers/temp.js';

t.test('a stale socket from a SIGKILLed supervisor is replaced; a live one is refused with exit 1', async (t) => {
  const socket = tempSocketPath();
  const dead = await startPropane(t, { workers: 1, socket });
  const deadWorkers = dead.forkedPids;
  dead.proc.kill('SIGKILL');
  await dead.exited;
  t.ok(existsSync(socket), 'SIGKILL leaves the socket file behind');
  t.same(await waitGone(deadWorkers, 10_000), [], 'its workers are gone');

  const next = await startPropane(t, { workers: 1, socket });
  const status = await next.status();
  t.equal(status.supervisor.pid, next.pid, 'the new supervisor answers on the old path');

  const refused = await runCli(['start', '--workers', '1', '--port', '0', '--status-socket', socket]);
  t.equal(refused.code, 1);
  t.equal(refused.stderr.split('\n').filter(Boolean).length, 1, refused.stderr);
  t.match(refused.stderr, `propane: PROPANE_ERR_STATUS_SOCKET_IN_USE status.socket ${socket} is in use by a running supervisor. Fix: `);
  t.notMatch(refused.stdout, /worker_forked/, 'it forked nothing');
  t.equal((await next.status()).supervisor.pid, next.pid, 'the running supervisor keeps its socket');

  next.proc.kill('SIGTERM');
  t.same(await next.exited, { code: 0, signal: null });
  t.notOk(existsSync(socket), 'removed on a graceful exit');
});
