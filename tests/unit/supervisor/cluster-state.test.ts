import t from 'tap';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../../shared/config/load.js';
import { ClusterStateKeeper, type ClusterInputs } from '../../../supervisor/cluster-state.js';

const { config } = loadConfig({ cwd: tmpdir(), env: { ARLEN_CLUSTER_NODE_ID: 'n1' }, flags: {} });
const base: ClusterInputs = {
  config,
  membership: { observedNodes: 1, state: 'configured', changes: 0 },
  membershipSource: 'static_config',
  shuttingDown: false,
  sessions: { http: 0, websocket: 0 },
  workers: [{ slot: 0, pid: 10, state: 'ready' }],
};

t.test('the generation starts at 1 and grows only when the state changes', async (t) => {
  const keeper = new ClusterStateKeeper();
  t.throws(() => keeper.current, 'no state before the first update');
  t.equal(keeper.update(base)?.generation, 1);
  t.equal(keeper.update({ ...base }), null, 'an identical state is not pushed again');
  t.equal(keeper.update({ ...base, membership: { ...base.membership, changes: 9 } }), null, 'the change counter is not state');
  t.equal(keeper.update({ ...base, sessions: { http: 1, websocket: 0 } })?.generation, 2, 'session counts are');
  t.equal(keeper.update({ ...base, shuttingDown: true })?.generation, 3, 'so is shutting down');
  t.equal(keeper.current.generation, 3);
  t.equal(keeper.current.shutting_down, true);
});

t.test('the state carries the capability matrix and the quorum', async (t) => {
  const state = new ClusterStateKeeper().update(base)!;
  t.same(state.coordination, {
    membership_source: 'static_config',
    state: 'configured',
    capability_matrix: {
      cross_node_request_routing: 'external_load_balancer_required',
      cross_node_realtime_fanout: 'external_broker_required',
      cross_node_jobs_deduplication: 'external_queue_required',
      cross_node_cache_coherence: 'external_cache_required',
    },
  });
  t.same(state.cluster.quorum, { status: 'single_node', met: true, observed_nodes: 1, expected_nodes: 1 });
});
