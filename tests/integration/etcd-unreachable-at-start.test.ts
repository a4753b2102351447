import t from 'tap';
import { EtcdCluster, EtcdMember, etcdNodeConfig, requireEtcd } from '../helpers/etcd.js';
import { answers, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startPropane } from '../helpers/propane.js';

t.test('an unreachable etcd at start is no config error: the node serves, partitioned, until the store answers', async (t) => {
  if (!requireEtcd(t)) return;
  const clientPort = await freePort();
  const peerPort = await freePort();
  const member = new EtcdMember({ name: 'late', clientPort, peerPort }, `late=http://127.0.0.1:${peerPort}`, `late-${process.pid}`);
  t.teardown(() => member.destroy());
  const etcd = new EtcdCluster([member]);

  const startedAt = Date.now();
  const node = await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'early', { quorumReadiness: true }) });
  t.comment(`start-up with nothing listening at the endpoint took ${Date.now() - startedAt} ms`);
  const res = await httpGet(node.port, '/');
  t.equal(res.status, 200, 'it serves');
  t.equal(res.headers['x-arlen-cluster-status'], 'partitioned');
  await waitEveryWorker(node, '/clusterz', clusterzSays('unavailable', 0));
  await waitEveryWorker(node, '/readyz', answers(503));
  const lost = node.logs.filter((l) => l.event === 'membership_store_lost');
  t.equal(lost.length, 1, 'membership_store_lost is logged once');

  member.launch();
  await member.waitHealthy();
  const upAt = Date.now();
  await waitEveryWorker(node, '/clusterz', clusterzSays('connected', 1), 10_000);
  t.comment(`measured: counted itself ${Date.now() - upAt} ms after etcd became healthy`);
  await waitEveryWorker(node, '/readyz', answers(200));
  t.equal(node.logs.filter((l) => l.event === 'membership_store_restored').length, 1, 'membership_store_restored is logged');
  t.equal(node.logs.filter((l) => l.event === 'membership_store_lost').length, 1, 'the retries while it was down logged nothing more');
});
