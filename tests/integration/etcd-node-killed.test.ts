import t from 'tap';
import { etcdNodeConfig, requireEtcd, startEtcd } from '../helpers/etcd.js';
import { clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { startPropane, waitGone } from '../helpers/propane.js';

const LEASE_SECONDS = 2;

t.test('a SIGKILLed node leaves its peers counts within leaseSeconds plus a second', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const a = await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'node-a', { expectedNodes: 2 }) });
  const b = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'node-b', { expectedNodes: 2 }) });
  await waitEveryWorker(a, '/clusterz', clusterzSays('connected', 2));

  const killedAt = Date.now();
  b.proc.kill('SIGKILL');
  const replies = await waitEveryWorker(a, '/clusterz', clusterzSays('connected', 1), (LEASE_SECONDS + 1) * 1000);
  t.comment(`measured: every worker of the peer saw the SIGKILLed node go ${Date.now() - killedAt} ms after the kill`);
  for (const reply of replies.values()) {
    const c = JSON.parse(reply.body) as { cluster: { quorum: { status: string }; members: Array<{ node_id: string }> } };
    t.equal(c.cluster.quorum.status, 'degraded');
    t.same(c.cluster.members.map((m) => m.node_id), ['node-a']);
  }
  t.same(await waitGone(b.forkedPids, 5_000), [], 'the killed node left no worker behind');
});
