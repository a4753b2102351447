import { tmpdir } from 'node:os';
import t from 'tap';
import type { ClusterState } from '../../../contracts/cluster.js';
import type { SupervisorToWorker } from '../../../contracts/ipc.js';
import { loadConfig } from '../../../shared/config/load.js';
import { ClusterBroadcast } from '../../../supervisor/cluster-broadcast.js';
import type { MembershipSource } from '../../../supervisor/membership/source.js';

function setup() {
  const config = loadConfig({ cwd: tmpdir(), env: {}, flags: {} }).config;
  const readiness: boolean[] = [];
  const membership: MembershipSource = {
    name: 'static_config',
    start: () => Promise.resolve(),
    setReady: (ready) => void readiness.push(ready),
    snapshot: () => ({ observedNodes: 1, state: 'configured', changes: 0 }),
    stop: () => Promise.resolve(),
  };
  const inbox: SupervisorToWorker[] = [];
  const state = { shuttingDown: false, ready: true, workers: [{ slot: 0, pid: 4100, state: 'ready' }] as ClusterState['workers'] };
  const broadcast = new ClusterBroadcast({
    config: () => config,
    membership,
    isShuttingDown: () => state.shuttingDown,
    sessionTotals: () => ({ http: 0, websocket: 0 }),
    pool: { hasReadyWorker: () => state.ready, workerStates: () => state.workers, workers: () => [{ send: (msg) => inbox.push(msg) }] },
  });
  return { broadcast, readiness, inbox, state };
}

t.test('pushes the cluster state to every worker only when it changed, under a new generation', async (t) => {
  const { broadcast, inbox, state } = setup();
  broadcast.push();
  broadcast.push();
  t.equal(inbox.length, 1, 'the same state is not pushed twice');
  t.equal(broadcast.current.generation, 1);
  state.workers = [{ slot: 0, pid: 4100, state: 'draining' }];
  broadcast.push();
  t.equal(inbox.length, 2);
  t.match(inbox[1], { type: 'cluster_state', state: { generation: 2, workers: [{ state: 'draining' }] } });
});

t.test('the node is ready for the store while a worker is ready and no shutdown runs', async (t) => {
  const { broadcast, readiness, state } = setup();
  broadcast.push();
  state.ready = false;
  broadcast.push();
  state.ready = true;
  state.shuttingDown = true;
  broadcast.push();
  t.same(readiness, [true, false, false]);
});
