import { CAPABILITY_MATRIX, type ClusterState, type SessionCounts } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import { computeQuorum } from '../shared/quorum.js';
import type { MembershipSnapshot } from './membership/source.js';

export interface ClusterInputs {
  config: Config;
  membership: MembershipSnapshot;
  membershipSource: 'static_config' | 'etcd';
  shuttingDown: boolean;
  sessions: SessionCounts;
  workers: ClusterState['workers'];
}

/**
 * Builds the cluster state the supervisor pushes to every worker, and bumps
 * the generation only when something in it changed.
 */
export class ClusterStateKeeper {
  #current: ClusterState | null = null;
  #key = '';

  get current(): ClusterState {
    if (!this.#current) throw new Error('cluster state read before the first update');
    return this.#current;
  }

  /** Returns the new state when it differs from the last one, else null. */
  update(inputs: ClusterInputs): ClusterState | null {
    const body = build(inputs);
    const key = JSON.stringify(body);
    if (this.#current && key === this.#key) return null;
    this.#key = key;
    this.#current = { generation: (this.#current?.generation ?? 0) + 1, ...body };
    return this.#current;
  }
}

function build({ config, membership, membershipSource, shuttingDown, sessions, workers }: ClusterInputs): Omit<ClusterState, 'generation'> {
  const c = config.cluster;
  const observed = membership.observedNodes;
  const quorum = computeQuorum({ enabled: c.enabled, observedNodes: observed, expectedNodes: c.expectedNodes });
  return {
    shutting_down: shuttingDown,
    readiness_requires_quorum: config.observability.readinessRequiresClusterQuorum,
    cluster: {
      enabled: c.enabled,
      name: c.name,
      node_id: c.nodeId,
      observed_nodes: quorum.observed_nodes,
      expected_nodes: quorum.expected_nodes,
      quorum,
      ...(membership.members ? { members: membership.members } : {}),
    },
    coordination: {
      membership_source: membershipSource,
      state: membership.state,
      capability_matrix: { ...CAPABILITY_MATRIX },
      ...(membership.store ? { store: membership.store } : {}),
    },
    sessions,
    workers,
  };
}
