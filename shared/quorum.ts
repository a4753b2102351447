import type { Quorum } from '../contracts/cluster.js';

export interface QuorumInput {
  enabled: boolean;
  observedNodes: number;
  expectedNodes: number;
}

/** The quorum rule of docs/endpoints.md ("The quorum rule"), the only place it is written. */
export function computeQuorum({ enabled, observedNodes, expectedNodes }: QuorumInput): Quorum {
  const observed = Math.max(0, Math.trunc(observedNodes));
  const expected = Math.max(1, Math.trunc(expectedNodes));
  if (!enabled) return { status: 'single_node', met: true, observed_nodes: observed, expected_nodes: expected };
  const met = observed >= expected;
  const status = observed === 0 ? 'partitioned' : met ? 'nominal' : 'degraded';
  return { status, met, observed_nodes: observed, expected_nodes: expected };
}
