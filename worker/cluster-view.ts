import type { ClusterState, ClusterzPayload, ReadinessPayload } from '../contracts/cluster.js';

/**
 * The worker's copy of the supervisor's cluster state. Only a newer
 * generation replaces it, so every worker converges on the same answer for
 * /readyz, /clusterz and the X-Arlen-Cluster-* headers.
 */
export class ClusterView {
  #state: ClusterState;
  #draining = false;
  #headers: ReadonlyArray<readonly [string, string]> = [];
  readonly #emitHeaders: boolean;

  constructor(initial: ClusterState, emitHeaders: boolean) {
    this.#state = initial;
    this.#emitHeaders = emitHeaders;
    this.#rebuildHeaders();
  }

  update(next: ClusterState): boolean {
    if (next.generation <= this.#state.generation) return false;
    this.#state = next;
    this.#rebuildHeaders();
    return true;
  }

  markDraining(): void {
    this.#draining = true;
  }

  /** Precomputed per state change, so the hot path only copies pairs. */
  get headers(): ReadonlyArray<readonly [string, string]> {
    return this.#headers;
  }

  readiness(): ReadinessPayload {
    const s = this.#state;
    const q = s.cluster.quorum;
    const quorumOk = !s.readiness_requires_quorum || q.met;
    const ready = !s.shutting_down && !this.#draining && quorumOk;
    return {
      status: ready ? 'ready' : 'not_ready',
      ready,
      generation: s.generation,
      checks: {
        node_accepting: { ok: !s.shutting_down },
        worker_draining: { ok: !this.#draining },
        cluster_quorum: {
          ok: quorumOk,
          required_for_readyz: s.readiness_requires_quorum,
          status: q.status,
          observed_nodes: q.observed_nodes,
          expected_nodes: q.expected_nodes,
        },
      },
    };
  }

  clusterz(): ClusterzPayload {
    const s = this.#state;
    return { generation: s.generation, cluster: s.cluster, coordination: s.coordination, sessions: s.sessions, workers: s.workers };
  }

  #rebuildHeaders(): void {
    if (!this.#emitHeaders) return;
    const c = this.#state.cluster;
    this.#headers = [
      ['X-Arlen-Cluster', c.name],
      ['X-Arlen-Node', c.node_id],
      ['X-Arlen-Worker-Pid', String(process.pid)],
      ['X-Arlen-Cluster-Status', c.quorum.status],
      ['X-Arlen-Cluster-Observed-Nodes', String(c.observed_nodes)],
      ['X-Arlen-Cluster-Expected-Nodes', String(c.expected_nodes)],
    ];
  }
}
