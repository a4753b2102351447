import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { identify, stillRuns, tryKill } from '../helpers/processes.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';

t.test('SIGSTOP of a worker: hung detection SIGKILLs and replaces it within workerTimeoutSeconds, logs worker_hung once, the node serves', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { propane: { workerTimeoutSeconds: 2, respawnDelayMs: 100 } } });
  const before = await node.status();
  const victim = before.workers[0]!.pid!;
  const victimId = identify(victim);
  t.teardown(() => stillRuns(victimId) && tryKill(victim, 'SIGKILL'));
  const stoppedAt = Date.now();
  process.kill(victim, 'SIGSTOP');

  const hung = await node.waitForLog((l) => l.event === 'worker_hung', 15_000);
  const hungMs = Date.now() - stoppedAt;
  const after = await node.waitForStatus((s) => s.workers[0]!.state === 'ready' && s.workers[0]!.pid !== victim, 15_000);
  const replacedMs = Date.now() - stoppedAt;
  t.comment(`worker_hung ${hungMs} ms after SIGSTOP (silent ${String(hung.silent_ms)} ms); slot 0 ready again after ${replacedMs} ms`);

  t.match(hung, { slot: 0, worker_pid: victim, timeout_seconds: 2, pid: node.pid });
  t.ok((hung.silent_ms as number) > 2_000, 'it had been silent for longer than workerTimeoutSeconds');
  t.equal(after.workers[0]!.last_exit?.signal, 'SIGKILL');
  t.equal(after.workers[0]!.last_exit?.cause, 'killed_hung');
  t.equal(after.workers[0]!.hung_kills, 1);
  t.equal(after.totals.hung_kills, 1);
  t.equal(after.workers[1]!.pid, before.workers[1]!.pid, 'the healthy worker was left alone');
  t.equal(node.logs.filter((l) => l.event === 'worker_hung').length, 1, 'worker_hung is logged once');
  t.match(node.logs.find((l) => l.event === 'worker_exit' && l.worker_pid === victim), { signal: 'SIGKILL', cause: 'killed_hung' });

  const metrics = await node.metrics();
  t.equal(valueOf(metrics, 'propane_worker_exits_total', { cause: 'killed_hung' }), 1);
  for (let i = 0; i < 6; i++) t.equal((await httpGet(node.port, '/')).status, 200, 'the node serves');
});
