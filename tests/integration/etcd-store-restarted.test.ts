import t from 'tap';
import { etcdNodeConfig, requireEtcd, startEtcd } from '../helpers/etcd.js';
import { clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';

const LEASE_SECONDS = 2;
const readyz = (status: number) => (r: { status: number }) => r.status === status;

t.test('etcd killed and restarted on its data dir is survived: partitioned while down, the right count after', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const nodes = [
    await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'node-a', { expectedNodes: 2, quorumReadiness: true }) }),
    await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'node-b', { expectedNodes: 2, quorumReadiness: true }) }),
  ];
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', readyz(200))));

  const killedAt = Date.now();
  await etcd.first.kill();
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('unavailable', 0), (LEASE_SECONDS + 1) * 1000)));
  t.comment(`measured: every worker of both nodes reported the dead store ${Date.now() - killedAt} ms after SIGKILL`);
  for (const n of nodes) {
    await waitEveryWorker(n, '/readyz', readyz(503), 5_000);
    t.equal((await httpGet(n.port, '/')).status, 200, 'the app keeps serving while etcd is down');
  }

  const restartedAt = Date.now();
  await etcd.first.restart();
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2), 15_000)));
  t.comment(`measured: every worker of both nodes counted 2 again ${Date.now() - restartedAt} ms after etcd was restarted`);
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', readyz(200), 5_000)));
  for (const n of nodes) t.equal(n.proc.exitCode, null, 'no restart: the same supervisor is running');
});
