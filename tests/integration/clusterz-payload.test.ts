import t from 'tap';
import { ClusterzPayload } from '../../contracts/cluster.js';
import { httpGet } from '../helpers/http.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { pollUntil } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websocket.js';

async function clusterz(node: PropaneNode): Promise<ClusterzPayload> {
  const res = await httpGet(node.port, '/clusterz');
  if (res.status !== 200) throw new Error(`/clusterz answered ${res.status}`);
  return ClusterzPayload.parse(JSON.parse(res.body));
}

function waitForClusterz(node: PropaneNode, pred: (c: ClusterzPayload) => boolean): Promise<ClusterzPayload> {
  return pollUntil(() => clusterz(node), pred, 10_000);
}

const MATRIX = {
  cross_node_request_routing: 'external_load_balancer_required',
  cross_node_realtime_fanout: 'external_broker_required',
  cross_node_jobs_deduplication: 'external_queue_required',
  cross_node_cache_coherence: 'external_cache_required',
};

t.test('/clusterz reports the cluster, its quorum, coordination, node-wide sessions and worker states', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { cluster: { enabled: true, name: 'blue', nodeId: 'node-a', expectedNodes: 3, observedNodes: 2 } } });
  const body = await waitForClusterz(node, (c) => c.workers.every((w) => w.state === 'ready'));
  t.same(body.cluster, {
    enabled: true,
    name: 'blue',
    node_id: 'node-a',
    observed_nodes: 2,
    expected_nodes: 3,
    quorum: { status: 'degraded', met: false, observed_nodes: 2, expected_nodes: 3 },
  });
  t.same(body.coordination, { membership_source: 'static_config', state: 'configured', capability_matrix: MATRIX });
  const pids = (await node.status()).workers.map((w) => ({ slot: w.slot, pid: w.pid, state: w.state }));
  t.same(body.workers, pids, 'the worker states match /status');
  t.same(body.sessions, { http: body.sessions.http, websocket: 0 });

  const ws = await openWebSocket(t, node.port);
  const withWs = await waitForClusterz(node, (c) => c.sessions.websocket === 1);
  t.equal(withWs.sessions.websocket, 1, 'an open WebSocket shows in the node-wide count');
  t.ok(withWs.generation > body.generation, 'the change came with a newer generation');
  ws.terminate();
  const after = await waitForClusterz(node, (c) => c.sessions.websocket === 0);
  t.equal(after.sessions.websocket, 0, 'and leaves it when it closes');
});

t.test('/clusterz follows the quorum rule for each configuration', async (t) => {
  const rows: Array<{ name: string; cluster: Record<string, unknown>; quorum: Record<string, unknown> }> = [
    // A single node sends no cluster headers unless asked (cluster.emitHeaders follows cluster.enabled).
    { name: 'single_node when clustering is off', cluster: { enabled: false, emitHeaders: true, expectedNodes: 3, observedNodes: 0 }, quorum: { status: 'single_node', met: true, observed_nodes: 0, expected_nodes: 3 } },
    { name: 'nominal when all expected nodes are observed', cluster: { enabled: true, expectedNodes: 2 }, quorum: { status: 'nominal', met: true, observed_nodes: 2, expected_nodes: 2 } },
    { name: 'partitioned when none is observed', cluster: { enabled: true, expectedNodes: 2, observedNodes: 0 }, quorum: { status: 'partitioned', met: false, observed_nodes: 0, expected_nodes: 2 } },
  ];
  for (const c of rows) {
    t.test(c.name, async (t) => {
      const node = await startPropane(t, { workers: 1, config: { cluster: c.cluster } });
      const body = await clusterz(node);
      t.same(body.cluster.quorum, c.quorum);
      const res = await httpGet(node.port, '/');
      t.equal(res.headers['x-arlen-cluster-status'], c.quorum.status, 'the header carries the same status');
      await node.stop();
    });
  }
});
