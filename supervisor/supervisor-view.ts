import type { ClusterState } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import type { SupervisorState } from '../contracts/status.js';
import type { MembershipSnapshot } from './membership/source.js';
import type { NodeTotals } from './node-totals.js';
import type { ReloadView } from './reload-history.js';
import type { SessionView } from './session-totals.js';
import type { TlsView } from './tls-material.js';
import type { PoolView } from './worker-pool.js';

/** The node-wide request counters, read-only. */
export type TotalsView = Readonly<Pick<NodeTotals, 'requests' | 'rejected' | 'timeouts' | 'tlsHandshakeFailures' | 'latencyBuckets' | 'latencySum' | 'latencyCount'>>;

/**
 * What GET /status and GET /metrics read of the supervisor: read-only, and
 * only what the supervisor already holds (the workers' session counts are
 * refreshed just before, within a short deadline), so both answer while the
 * workers are saturated.
 */
export interface SupervisorView {
  readonly state: SupervisorState;
  readonly config: Config;
  readonly version: string;
  /** Where the node serves (the inherited socket's address under socket activation). */
  readonly host: string;
  readonly port: number;
  readonly startedAt: Date;
  readonly pool: PoolView;
  readonly sessions: SessionView;
  readonly totals: TotalsView;
  readonly reloads: ReloadView;
  /** The cluster state last pushed to the workers. */
  readonly clusterState: ClusterState;
  readonly membership: MembershipSnapshot;
  /** The certificates of the config in force. */
  readonly tls: TlsView;
}
