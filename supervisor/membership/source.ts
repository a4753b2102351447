import type { Member, StoreState } from '../../contracts/cluster.js';

/** What this node tells the store about itself. */
export interface SelfInfo {
  nodeId: string;
  host: string;
  port: number;
  pid: number;
  version: string;
  startedAt: string;
}

export interface MembershipSnapshot {
  observedNodes: number;
  state: string;
  members?: Member[];
  store?: StoreState;
  /** Membership changes seen since start (propane_membership_changes_total). */
  changes: number;
}

/**
 * Where `observed_nodes` comes from (docs/cluster-etcd.md). The quorum rule
 * stays in shared/quorum.ts; a source only says who is there. A new source
 * (Consul, the Kubernetes Lease API) is a new file implementing this.
 */
export interface MembershipSource {
  readonly name: 'static_config' | 'etcd';
  /** Registers this node; rejects with PROPANE_ERR_NODE_ID_TAKEN when another live process holds the id. */
  start(self: SelfInfo, onChange: () => void): Promise<void>;
  setReady(ready: boolean): void;
  snapshot(): MembershipSnapshot;
  /** Deregisters first, so peers see the node leave at once. Safe to call twice. */
  stop(): Promise<void>;
}

/** A membership store that does not answer never holds a stop longer than this. */
export const MEMBERSHIP_STOP_TIMEOUT_MS = 2000;

/** `source.stop()`, given up on after MEMBERSHIP_STOP_TIMEOUT_MS: shutting down never waits on the store. */
export async function stopWithin(source: MembershipSource, ms = MEMBERSHIP_STOP_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([source.stop().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
