import t from 'tap';
import { ClusterzPayload } from '../../contracts/cluster.js';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { etcdctl, etcdNodeConfig, requireEtcd, startEtcd, startEtcdNodes } from '../helpers/etcd.js';
import { clusterzOf, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';

t.test('two nodes register in etcd and every worker of both agrees on the measured membership', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const nodes = await startEtcdNodes(t, etcd, [2, 2], { expectedNodes: 2 });
  const [a, b] = [nodes[0]!, nodes[1]!];

  const changeAt = Date.now();
  for (const node of nodes) await waitEveryWorker(node, '/clusterz', clusterzSays('connected', 2));
  t.comment(`measured: both nodes' workers agree on observed_nodes 2 ${Date.now() - changeAt} ms after the second node was ready`);

  const got = etcdctl(etcd.endpoints, ['get', '/propane/test/nodes/node-a', '--print-value-only']);
  t.equal(got.code, 0, got.stderr);
  const value = JSON.parse(got.stdout.trim()) as Record<string, unknown>;
  t.same(Object.keys(value).sort(), ['host', 'node_id', 'pid', 'port', 'ready', 'started_at', 'version']);
  t.match(value, { node_id: 'node-a', host: '127.0.0.1', port: a.port, pid: a.pid, ready: true, version: /^\d+\.\d+\.\d+/ });
  t.ok(!Number.isNaN(Date.parse(String(value.started_at))), 'started_at is a timestamp');

  const replies = await waitEveryWorker(b, '/clusterz', clusterzSays('connected', 2));
  for (const reply of replies.values()) {
    const c = ClusterzPayload.parse(JSON.parse(reply.body));
    t.equal(c.coordination.membership_source, 'etcd');
    t.equal(c.cluster.quorum.status, 'nominal');
    t.same(c.cluster.members, [
      { node_id: 'node-a', host: '127.0.0.1', port: a.port, ready: true },
      { node_id: 'node-b', host: '127.0.0.1', port: b.port, ready: true },
    ], 'members sorted by node_id');
    t.same({ ...c.coordination.store, last_change_at: typeof c.coordination.store?.last_change_at }, { state: 'connected', endpoints: etcd.endpoints, lease_seconds: 2, last_change_at: 'string' });
  }

  const res = await httpGet(a.port, '/');
  t.equal(res.headers['x-arlen-cluster-observed-nodes'], '2');
  t.equal(res.headers['x-arlen-cluster-expected-nodes'], '2');
  t.equal(res.headers['x-arlen-cluster-status'], 'nominal');

  const status = await a.status();
  t.match(status.cluster, { observed_nodes: 2, membership_source: 'etcd', store: { state: 'connected', lease_seconds: 2 } });
  t.same((status.cluster as { members?: unknown }).members, clusterzOf(replies.values().next().value!).cluster.members, '/status carries the same members');

  const metrics = (await callStatusSocket(a.socket, 'GET', '/metrics', 5_000)).body;
  t.match(metrics, /^propane_membership_store_up 1$/m);
  t.match(metrics, /^propane_cluster_observed_nodes 2$/m);
  t.match(metrics, /^propane_cluster_quorum_met 1$/m);
  t.match(metrics, /^propane_membership_changes_total [1-9]\d*$/m);

  const joined = a.logs.filter((l) => l.event === 'membership_changed').at(-1);
  t.same(joined?.members, [
    { node_id: 'node-a', host: '127.0.0.1', port: a.port, ready: true },
    { node_id: 'node-b', host: '127.0.0.1', port: b.port, ready: true },
  ], 'membership_changed carries the member list');

  const stopAt = Date.now();
  const stopped = await b.stop();
  t.equal(stopped.code, 0);
  await waitEveryWorker(a, '/clusterz', clusterzSays('connected', 1), 1_000 + 2_000);
  const agreedAt = Date.now();
  t.comment(`measured: a graceful stop left every worker of the peer ${agreedAt - stopAt} ms after SIGTERM`);
  const seen = a.logs.findLast((l) => l.event === 'membership_changed' && Array.isArray(l.members) && l.members.length === 1);
  t.ok(seen, 'the peer logged the leave');
  t.comment(`measured: from the supervisor's membership_changed to the last worker's /clusterz agreeing: ${agreedAt - Date.parse(String(seen?.time))} ms (an upper bound: includes the polling)`);
  const left = etcdctl(etcd.endpoints, ['get', '/propane/test/nodes/node-b', '--print-value-only']);
  t.equal(left.stdout.trim(), '', 'the stopped node deleted its registration');
});

t.test('a second process with a live node id is refused with exit 2 naming the holder', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const holder = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'twin') });
  await holder.waitForStatus((s) => s.cluster.observed_nodes === 1);

  const twin = await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'twin'), waitFor: 'nothing' });
  const exit = await twin.exited;
  t.equal(exit.code, 2, 'exit 2');
  t.match(twin.stderr, /PROPANE_ERR_NODE_ID_TAKEN/);
  t.match(twin.stderr, new RegExp(`host 127\\.0\\.0\\.1, port ${holder.port}, pid ${holder.pid}`), 'names the holder');
  t.match(twin.stderr, /Fix: /);
  t.same(twin.forkedPids, [], 'no worker was forked');

  const after = await holder.status();
  t.equal(after.cluster.observed_nodes, 1, 'the holder keeps its registration');
  const got = etcdctl(etcd.endpoints, ['get', '/propane/test/nodes/twin', '--print-value-only']);
  t.equal((JSON.parse(got.stdout.trim()) as { pid: number }).pid, holder.pid);
});
