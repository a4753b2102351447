import t from 'tap';
import { tmpdir } from 'node:os';
import type { ClusterState } from '../../../contracts/cluster.js';
import { loadConfig } from '../../../shared/config/load.js';
import { ClusterStateKeeper } from '../../../supervisor/cluster-state.js';
import { ClusterView } from '../../../worker/cluster-view.js';

function stateFor(env: Record<string, string>, shuttingDown = false): ClusterState {
  const { config } = loadConfig({ cwd: tmpdir(), env: { ARLEN_CLUSTER_NODE_ID: 'n1', ...env }, flags: {} });
  const keeper = new ClusterStateKeeper();
  return keeper.update({
    config,
    membership: { observedNodes: config.cluster.observedNodes, state: 'configured', changes: 0 },
    membershipSource: 'static_config',
    shuttingDown,
    sessions: { http: 0, websocket: 0 },
    workers: [],
  })!;
}

const rows: Array<{ name: string; env: Record<string, string>; shuttingDown?: boolean; draining?: boolean; ready: boolean; quorumOk: boolean }> = [
  { name: 'ready on a single node', env: {}, ready: true, quorumOk: true },
  { name: 'not ready while the node shuts down', env: {}, shuttingDown: true, ready: false, quorumOk: true },
  { name: 'not ready while this worker drains', env: {}, draining: true, ready: false, quorumOk: true },
  { name: 'ready with a missing quorum that readiness does not require', env: { ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_EXPECTED_NODES: '3', ARLEN_CLUSTER_OBSERVED_NODES: '1' }, ready: true, quorumOk: true },
  { name: 'not ready with a missing quorum that readiness requires', env: { ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_EXPECTED_NODES: '3', ARLEN_CLUSTER_OBSERVED_NODES: '1', ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' }, ready: false, quorumOk: false },
  { name: 'ready with a met quorum that readiness requires', env: { ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_EXPECTED_NODES: '3', ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' }, ready: true, quorumOk: true },
  { name: 'ready on a disabled cluster even when quorum is required', env: { ARLEN_CLUSTER_EXPECTED_NODES: '3', ARLEN_CLUSTER_OBSERVED_NODES: '0', ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' }, ready: true, quorumOk: true },
];

for (const c of rows) {
  t.test(c.name, async (t) => {
    const view = new ClusterView(stateFor(c.env, c.shuttingDown), true);
    if (c.draining) view.markDraining();
    const r = view.readiness();
    t.equal(r.ready, c.ready);
    t.equal(r.status, c.ready ? 'ready' : 'not_ready');
    t.equal(r.checks.cluster_quorum.ok, c.quorumOk);
  });
}

t.test('only a newer generation replaces the state, and the headers follow it', async (t) => {
  const first = stateFor({ ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_EXPECTED_NODES: '2' });
  const view = new ClusterView(first, true);
  t.same(Object.fromEntries(view.headers), {
    'X-Arlen-Cluster': 'default',
    'X-Arlen-Node': 'n1',
    'X-Arlen-Worker-Pid': String(process.pid),
    'X-Arlen-Cluster-Status': 'nominal',
    'X-Arlen-Cluster-Observed-Nodes': '2',
    'X-Arlen-Cluster-Expected-Nodes': '2',
  });
  const degraded = { ...first, generation: first.generation + 1, cluster: { ...first.cluster, observed_nodes: 1, quorum: { ...first.cluster.quorum, status: 'degraded' as const, met: false, observed_nodes: 1 } } };
  t.equal(view.update(degraded), true);
  t.equal(Object.fromEntries(view.headers)['X-Arlen-Cluster-Status'], 'degraded');
  t.equal(view.update(first), false, 'an older generation is ignored');
  t.equal(view.update({ ...first, generation: degraded.generation }), false, 'the same generation is ignored');
  t.equal(view.clusterz().cluster.quorum.status, 'degraded');
});

t.test('no headers when emitHeaders is false', async (t) => {
  const view = new ClusterView(stateFor({}), false);
  t.same(view.headers, []);
});
