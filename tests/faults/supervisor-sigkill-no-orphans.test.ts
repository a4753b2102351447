import { createServer } from 'node:net';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { startPropane, waitGone } from '../helpers/propane.js';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

t.test('SIGKILL of the supervisor: every worker exits within a few seconds and the port is free again', async (t) => {
  const node = await startPropane(t, { workers: 2 });
  t.equal((await httpGet(node.port, '/')).status, 200);
  const workers = await node.readyWorkerPids();
  t.equal(workers.length, 2);

  const killedAt = Date.now();
  process.kill(node.pid, 'SIGKILL');
  await node.exited;
  const left = await waitGone(workers, 5_000);
  const goneMs = Date.now() - killedAt;
  t.comment(`workers gone ${goneMs} ms after the supervisor's SIGKILL`);
  t.same(left, [], 'no worker outlives its supervisor');

  let free = false;
  const deadline = Date.now() + 5_000;
  while (!free && Date.now() < deadline) free = await portIsFree(node.port);
  t.ok(free, `port ${node.port} can be bound again`);
  await t.rejects(httpGet(node.port, '/', { timeoutMs: 2_000 }), 'nothing answers on the port any more');
});
