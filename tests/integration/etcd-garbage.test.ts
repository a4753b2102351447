import t from 'tap';
import { etcdctl, etcdNodeConfig, requireEtcd, startEtcd } from '../helpers/etcd.js';
import { clusterzOf, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

t.test('garbage under the prefix is ignored, logged once, never counted and never a crash', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const node = await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'solid', { expectedNodes: 2 }) });
  await waitEveryWorker(node, '/clusterz', clusterzSays('connected', 1));

  const writes = [
    ['/propane/test/nodes/junk', 'this is not json'],
    ['/propane/test/nodes/junk', '{"still": "not ours"'],
    ['/propane/test/nodes/liar', JSON.stringify({ node_id: 'someone-else', host: '10.0.0.9', port: 80, pid: 7, version: '0.1.0', ready: true, started_at: '2026-01-01T00:00:00.000Z' })],
    ['/propane/test/nodes/half', JSON.stringify({ node_id: 'half', ready: true })],
  ];
  for (const [key, value] of writes) t.equal(etcdctl(etcd.endpoints, ['put', key!, value!]).code, 0);
  await node.waitForLog((l) => l.event === 'membership_garbage' && l.key === '/propane/test/nodes/half', 5_000);
  await sleep(300);

  const garbage = node.logs.filter((l) => l.event === 'membership_garbage');
  t.same(garbage.map((l) => l.key).sort(), ['/propane/test/nodes/half', '/propane/test/nodes/junk', '/propane/test/nodes/liar'], 'each garbage key is logged once');
  t.notOk(JSON.stringify(garbage).includes('not json'), 'the value itself is not logged');
  const replies = await waitEveryWorker(node, '/clusterz', clusterzSays('connected', 1));
  for (const r of replies.values()) t.same(clusterzOf(r).cluster.members?.map((m) => m.node_id), ['solid'], 'never counted');
  t.equal(node.proc.exitCode, null, 'the supervisor is still running');

  // A real peer joining afterwards is counted as usual.
  const peer = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'peer', { expectedNodes: 2 }) });
  await waitEveryWorker(node, '/clusterz', clusterzSays('connected', 2));
  t.ok(peer.port > 0);
});
