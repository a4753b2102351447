import { createServer } from 'node:net';
import t from 'tap';
import { startPropane, waitGone } from '../helpers/propane.js';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

t.test('when the supervisor dies by SIGKILL every worker exits within a few seconds and the port is free again', async (t) => {
  const node = await startPropane(t, { workers: 3 });
  const pids = (await node.status()).workers.map((w) => w.pid!);
  t.equal(pids.length, 3);
  t.notOk(await bindable(node.port), 'the port is taken while the node runs');

  node.proc.kill('SIGKILL');
  t.same(await node.exited, { code: null, signal: 'SIGKILL' });
  t.same(await waitGone(pids, 5_000), [], 'no worker outlives its supervisor by more than 5 s');
  t.ok(await bindable(node.port), 'the port can be bound again');
  const orphaned = node.logs.filter((l) => l.event === 'orphaned').map((l) => l.pid).sort();
  t.same(orphaned, [...pids].sort(), 'each worker logged that it noticed the IPC channel closing');
});
