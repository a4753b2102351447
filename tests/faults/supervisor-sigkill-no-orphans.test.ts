import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { isPortFree } from '../helpers/ports.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';

// README, "No orphans": a worker notices its IPC channel closing and exits at once.
t.test('SIGKILL of the supervisor: every worker exits within a few seconds and the port is free again', async (t) => {
  const node = await startPropane(t, { workers: 3 });
  t.equal((await httpGet(node.port, '/')).status, 200);
  const workers = await node.readyWorkerPids();
  t.equal(workers.length, 3);
  t.notOk(await isPortFree(node.port), 'the port is taken while the node runs');

  const killedAt = Date.now();
  node.proc.kill('SIGKILL');
  t.same(await node.exited, { code: null, signal: 'SIGKILL' });
  const left = await waitGone(workers, 5_000);
  t.comment(`workers gone ${Date.now() - killedAt} ms after the supervisor's SIGKILL`);
  t.same(left, [], 'no worker outlives its supervisor by more than 5 s');
  t.ok(await isPortFree(node.port), `port ${node.port} can be bound again`);
  const orphaned = node.logs.filter((l) => l.event === 'orphaned').map((l) => l.pid).sort();
  t.same(orphaned, [...workers].sort(), 'each worker logged that it noticed the IPC channel closing');
  await t.rejects(httpGet(node.port, '/', { timeoutMs: 2_000 }), 'nothing answers on the port any more');
});
