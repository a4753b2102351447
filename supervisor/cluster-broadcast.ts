import type { ClusterState, SessionCounts } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import { IPC_SCHEMA_VERSION, type SupervisorToWorker } from '../contracts/ipc.js';
import { ClusterStateKeeper } from './cluster-state.js';
import type { MembershipSource } from './membership/source.js';

/** What the cluster state is made of, read at every push. */
export interface BroadcastSources {
  config(): Config;
  readonly membership: MembershipSource;
  isShuttingDown(): boolean;
  sessionTotals(): SessionCounts;
  readonly pool: {
    hasReadyWorker(): boolean;
    /** Each slot's worker as the cluster state lists it. */
    workerStates(): ClusterState['workers'];
    workers(): Iterable<{ send(msg: SupervisorToWorker): void }>;
  };
}

/**
 * Keeps the membership store and the workers up to date: the store learns
 * whether the node is ready (a ready worker, no shutdown), and every worker
 * gets the cluster state whenever it changed, under a new generation, so
 * /clusterz, /readyz and the cluster headers agree on every worker
 * (docs/endpoints.md, "Readiness is node-wide").
 */
export class ClusterBroadcast {
  readonly #sources: BroadcastSources;
  readonly #keeper = new ClusterStateKeeper();

  constructor(sources: BroadcastSources) {
    this.#sources = sources;
  }

  /** The state last pushed; a worker forked now boots with it. */
  get current(): ClusterState {
    return this.#keeper.current;
  }

  push(): void {
    const { membership, pool } = this.#sources;
    const shuttingDown = this.#sources.isShuttingDown();
    membership.setReady(!shuttingDown && pool.hasReadyWorker());
    const state = this.#keeper.update({
      config: this.#sources.config(),
      membership: membership.snapshot(),
      membershipSource: membership.name,
      shuttingDown,
      sessions: this.#sources.sessionTotals(),
      workers: pool.workerStates(),
    });
    if (!state) return;
    const msg: SupervisorToWorker = { type: 'cluster_state', schema_version: IPC_SCHEMA_VERSION, state };
    for (const wp of pool.workers()) wp.send(msg);
  }
}
