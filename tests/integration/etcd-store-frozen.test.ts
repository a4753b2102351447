import t from 'tap';
import { etcdNodeConfig, requireEtcd, startEtcd, startEtcdNodes } from '../helpers/etcd.js';
import { answers, clusterzOf, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';

const LEASE_SECONDS = 2;

t.test('a frozen etcd makes every node partitioned and not ready while it serves; SIGCONT brings the count back', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const nodes = await startEtcdNodes(t, etcd, [2, 2], { expectedNodes: 2, quorumReadiness: true });
  const leaving = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'node-c', { expectedNodes: 2 }) });
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', answers(200))));

  const frozenAt = Date.now();
  etcd.first.freeze();
  t.teardown(() => etcd.first.thaw());
  const replies = await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('unavailable', 0), (LEASE_SECONDS + 1) * 1000)));
  t.comment(`measured: every worker of both nodes reported the frozen store ${Date.now() - frozenAt} ms after SIGSTOP`);
  for (const byPid of replies) {
    for (const reply of byPid.values()) {
      const c = clusterzOf(reply);
      t.equal(c.cluster.quorum.status, 'partitioned');
      t.equal(c.coordination.store?.state, 'unavailable');
      t.same(c.cluster.members, [], 'no member is vouched for');
    }
  }
  for (const n of nodes) {
    await waitEveryWorker(n, '/readyz', answers(503), 5_000);
    const res = await httpGet(n.port, '/');
    t.equal(res.status, 200, 'the app keeps serving while etcd is frozen');
    t.equal(res.headers['x-arlen-cluster-status'], 'partitioned');
    t.ok(n.logs.some((l) => l.event === 'membership_store_lost'), 'membership_store_lost is logged');
  }

  // A frozen store never holds a graceful stop: deregistering is bounded.
  const stopAt = Date.now();
  const stopped = await leaving.stop(10_000);
  t.equal(stopped.code, 0, 'a node stops with exit 0 while etcd is frozen');
  t.same(stopped.leftovers, []);
  t.comment(`a graceful stop with etcd frozen took ${Date.now() - stopAt} ms (gracefulShutdownSeconds 1)`);

  const thawedAt = Date.now();
  etcd.first.thaw();
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2), 15_000)));
  t.comment(`measured: every worker of both nodes counted 2 again ${Date.now() - thawedAt} ms after SIGCONT`);
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', answers(200), 5_000)));
  for (const n of nodes) {
    t.ok(n.logs.some((l) => l.event === 'membership_store_restored'), 'membership_store_restored is logged');
    t.equal(n.proc.exitCode, null, 'no restart: the same supervisor is running');
  }
});
