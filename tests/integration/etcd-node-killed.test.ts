import t from 'tap';
import { etcdNodeConfig, requireEtcd, startEtcd, startEtcdNodes } from '../helpers/etcd.js';
import { answers, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';

const LEASE_SECONDS = 2;

t.test('a SIGKILLed node leaves its peers counts within leaseSeconds plus a second, and quorum readiness follows', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const quorum = { expectedNodes: 2, quorumReadiness: true };
  const nodes = await startEtcdNodes(t, etcd, [2, 1], quorum);
  const [a, b] = [nodes[0]!, nodes[1]!];
  await waitEveryWorker(a, '/clusterz', clusterzSays('connected', 2));
  await waitEveryWorker(a, '/readyz', answers(200));

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
  const notReady = await waitEveryWorker(a, '/readyz?format=json', answers(503), 5_000);
  for (const r of notReady.values()) {
    t.match(JSON.parse(r.body), { status: 'not_ready', checks: { cluster_quorum: { ok: false, required_for_readyz: true, status: 'degraded', observed_nodes: 1, expected_nodes: 2 } } });
  }

  const back = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'node-b', quorum) });
  await waitEveryWorker(a, '/readyz', answers(200), 10_000);
  t.ok(back.port > 0, 'a node with the dead one\'s id registers again once its lease expired');
});
