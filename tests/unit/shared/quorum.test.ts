import t from 'tap';
import type { Quorum } from '../../../contracts/cluster.js';
import { computeQuorum, type QuorumInput } from '../../../shared/quorum.js';

const rows: Array<{ name: string; in: QuorumInput; want: Quorum }> = [
  { name: 'single_node and met when the cluster is disabled', in: { enabled: false, observedNodes: 0, expectedNodes: 3 }, want: { status: 'single_node', met: true, observed_nodes: 0, expected_nodes: 3 } },
  { name: 'single_node wins over any count when disabled', in: { enabled: false, observedNodes: 5, expectedNodes: 1 }, want: { status: 'single_node', met: true, observed_nodes: 5, expected_nodes: 1 } },
  { name: 'partitioned when no node is observed', in: { enabled: true, observedNodes: 0, expectedNodes: 3 }, want: { status: 'partitioned', met: false, observed_nodes: 0, expected_nodes: 3 } },
  { name: 'partitioned even when only one node is expected', in: { enabled: true, observedNodes: 0, expectedNodes: 1 }, want: { status: 'partitioned', met: false, observed_nodes: 0, expected_nodes: 1 } },
  { name: 'degraded when fewer nodes than expected are observed', in: { enabled: true, observedNodes: 2, expectedNodes: 3 }, want: { status: 'degraded', met: false, observed_nodes: 2, expected_nodes: 3 } },
  { name: 'nominal when all expected nodes are observed', in: { enabled: true, observedNodes: 3, expectedNodes: 3 }, want: { status: 'nominal', met: true, observed_nodes: 3, expected_nodes: 3 } },
  { name: 'nominal when more nodes than expected are observed', in: { enabled: true, observedNodes: 4, expectedNodes: 3 }, want: { status: 'nominal', met: true, observed_nodes: 4, expected_nodes: 3 } },
  { name: 'expected clamps to at least 1', in: { enabled: true, observedNodes: 1, expectedNodes: 0 }, want: { status: 'nominal', met: true, observed_nodes: 1, expected_nodes: 1 } },
  { name: 'a negative expected clamps to 1', in: { enabled: true, observedNodes: 1, expectedNodes: -7 }, want: { status: 'nominal', met: true, observed_nodes: 1, expected_nodes: 1 } },
  { name: 'a negative observed clamps to 0 and is partitioned', in: { enabled: true, observedNodes: -2, expectedNodes: 2 }, want: { status: 'partitioned', met: false, observed_nodes: 0, expected_nodes: 2 } },
  { name: 'fractions are truncated to whole nodes', in: { enabled: true, observedNodes: 2.9, expectedNodes: 3.5 }, want: { status: 'degraded', met: false, observed_nodes: 2, expected_nodes: 3 } },
];

for (const c of rows) {
  t.test(c.name, async (t) => t.same(computeQuorum(c.in), c.want));
}
