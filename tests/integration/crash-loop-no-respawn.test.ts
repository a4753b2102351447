import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { sleep, within } from '../helpers/wait.js';

// `--no-respawn` disables respawning (docs/operations.md). A worker that
// exits stays gone; once every worker is gone the supervisor stops with exit
// 1, since with nothing to respawn it could never serve again.

t.test('with --no-respawn a worker that dies is not replaced; the others keep serving', async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--no-respawn'], env: WORKER_PID_HEADERS });
  const [victim, survivor] = await node.readyWorkerPids();
  const from = node.logs.length;
  process.kill(victim!, 'SIGKILL');
  const exit = await node.waitForEvent('worker_exit', 10_000, from);
  t.match(exit, { worker_pid: victim, code: null, signal: 'SIGKILL', cause: 'crash' });
  await sleep(1_000);
  t.equal(node.forkedPids.length, 2, 'nothing was forked');
  t.notOk(node.logs.some((l) => l.event === 'worker_respawn_scheduled'), 'no respawn was scheduled');
  const status = await node.status();
  t.same(status.workers.map((w) => [w.state, w.pid]).sort(), [['exited', null], ['ready', survivor]].sort());
  t.match(status.workers.find((w) => w.state === 'exited')?.last_exit, { code: null, signal: 'SIGKILL' });
  t.equal((await httpGet(node.port, '/')).headers['x-arlen-worker-pid'], String(survivor));
});

t.test('with --no-respawn an app that throws at load makes the supervisor stop with exit 1, without a restart', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('throws-at-load.cjs'), workers: 2, args: ['--no-respawn'], waitFor: 'nothing' });
  const exited = await within(node.exited, 20_000);
  t.equal(exited?.code, 1, 'exit 1');
  t.equal(node.forkedPids.length, 2, 'one fork per slot, no respawn');
  t.ok(node.logs.some((l) => l.event === 'supervisor_stopped' && l.reason === 'no_respawn'), 'the reason is logged');
  t.equal(node.logs.filter((l) => l.event === 'worker_exit' && l.code === 1).length, 2, 'each exit is logged with its code');
  const stopped = await node.stop();
  t.same(stopped.leftovers, []);
});
