import t from 'tap';
import { computeQuorum } from '../../../shared/quorum.js';

for (const c of [
  { name: 'single_node and met when the cluster is disabled', in: { enabled: false, observedNodes: 0, expectedNodes: 3 }, status: 'single_node', met: true },
  { name: 'partitioned when no node is observed', in: { enabled: true, observedNodes: 0, expectedNodes: 3 }, status: 'partitioned', met: false },
  { name: 'degraded when fewer nodes than expected are observed', in: { enabled: true, observedNodes: 2, expectedNodes: 3 }, status: 'degraded', met: false },
  { name: 'nominal when all expected nodes are observed', in: { enabled: true, observedNodes: 3, expectedNodes: 3 }, status: 'nominal', met: true },
  { name: 'nominal when more nodes than expected are observed', in: { enabled: true, observedNodes: 4, expectedNodes: 3 }, status: 'nominal', met: true },
  { name: 'expected clamps to at least 1', in: { enabled: true, observedNodes: 1, expectedNodes: 0 }, status: 'nominal', met: true },
] as const) {
  t.test(c.name, async (t) => {
    const q = computeQuorum(c.in);
    t.equal(q.status, c.status);
    t.equal(q.met, c.met);
  });
}
