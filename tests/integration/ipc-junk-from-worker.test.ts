import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

t.test('junk a worker sends over IPC is logged once as ipc_rejected (rate limited) and the node keeps serving', async (t) => {
  // A short workerTimeoutSeconds makes heartbeats frequent, so the test sees IPC keep working after the junk.
  const node = await startPropane(t, { app: fixtureApp('sends-junk-ipc.cjs'), workers: 1, config: { propane: { workerTimeoutSeconds: 2 } } });
  const rejected = await node.waitForLog((l) => l.event === 'ipc_rejected' && l.role === 'supervisor');
  t.match(rejected, { level: 40, from: 'worker 1', suppressed_since_last: 0 });
  t.type(rejected.issue, 'string');
  const before = await node.status();
  const pid = before.workers[0]!.pid;

  const junk = await httpGet(node.port, '/junk');
  t.equal(junk.body, 'sent 240\n');
  const sinceJunk = node.logs.length;
  await sleep(300);
  const ok = await Promise.all(Array.from({ length: 5 }, () => httpGet(node.port, '/')));
  t.same(ok.map((r) => r.status), [200, 200, 200, 200, 200], 'still serving');

  const fresh = await node.waitForStatus((s) => s.workers[0]!.rss_bytes !== null && s.workers[0]!.event_loop_lag_ms !== null, 10_000);
  t.match(fresh.workers[0], { pid, state: 'ready', restarts: 0, last_exit: null }, 'the same worker, never restarted; heartbeats still flow');
  t.equal(fresh.supervisor.state, 'running');
  const lines = node.logs.filter((l) => l.event === 'ipc_rejected');
  // 252 junk messages: one line per 10 s window (two if the start was slow enough to straddle one).
  t.ok(lines.length >= 1 && lines.length <= 2, `252 junk messages make at most two lines, not ${lines.length}`);
  t.notOk(node.logs.slice(sinceJunk).some((l) => l.event === 'worker_exit' || (typeof l.level === 'number' && l.level >= 50)), 'no exit, no error after the junk');

  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});

t.test('worker_ready and worker_boot_failed from a worker that is not booting change nothing', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('claims-ready-while-draining.cjs'), workers: 1 });
  const [first] = (await node.status()).workers;
  const from = node.logs.length;
  t.equal((await runCli(['reload', '--status-socket', node.socket])).code, 0, 'the reload completes');
  const after = await node.waitForStatus((s) => s.workers.length === 1 && s.workers[0]!.pid !== first!.pid && s.workers[0]!.state === 'ready');
  const ready = node.logs.slice(from).filter((l) => l.event === 'worker_ready');
  t.same(ready.map((l) => l.worker_pid), [after.workers[0]!.pid], 'only the replacement became ready; the draining worker\'s claim was ignored');
  t.equal(node.logs.filter((l) => l.event === 'worker_boot_failed').length, 0, 'nor was its boot failure booked');
  t.equal(node.logs.filter((l) => l.event === 'supervisor_stopped').length, 0, 'and a listen failure it did not have stopped nothing');
});
