import { z } from 'zod';
import type { Member } from '../../contracts/cluster.js';

/**
 * What a node writes under `<prefix><cluster>/nodes/<nodeId>` (docs/cluster-etcd.md),
 * and the pure rules that turn the registrations a store holds into the
 * member list and `observed_nodes`. No I/O here.
 */
export const Registration = z.object({
  node_id: z.string().min(1),
  host: z.string(),
  port: z.int().min(0).max(65_535),
  pid: z.int().positive(),
  version: z.string(),
  ready: z.boolean(),
  started_at: z.string(),
});
export type Registration = z.infer<typeof Registration>;

export function nodesPrefix(prefix: string, clusterName: string): string {
  return `${prefix}${clusterName}/nodes/`;
}

export function nodeKey(prefix: string, clusterName: string, nodeId: string): string {
  return `${nodesPrefix(prefix, clusterName)}${nodeId}`;
}

/**
 * A registration read back from the store, or null when it is not ours to
 * count: not JSON, not the shape above, or naming another node than its key.
 */
export function parseRegistration(key: string, value: string, prefixOfNodes: string): Registration | null {
  let data: unknown;
  try {
    data = JSON.parse(value);
  } catch {
    return null;
  }
  const parsed = Registration.safeParse(data);
  if (!parsed.success) return null;
  return key === `${prefixOfNodes}${parsed.data.node_id}` ? parsed.data : null;
}

/** Two registrations written by the same process (a node re-registering after the store came back). */
export function isSameProcess(a: Registration, b: Registration): boolean {
  return a.node_id === b.node_id && a.host === b.host && a.pid === b.pid && a.started_at === b.started_at;
}

export interface RosterView {
  members: Member[];
  observedNodes: number;
}

/** Members sorted by node_id; `observed_nodes` counts the ready ones (this node's included when it is there). */
export function viewRoster(registrations: Iterable<Registration>): RosterView {
  const members = [...registrations]
    .map((r) => ({ node_id: r.node_id, host: r.host, port: r.port, ready: r.ready }))
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
  return { members, observedNodes: members.filter((m) => m.ready).length };
}

/**
 * The store is lost once no endpoint has answered for longer than
 * leaseSeconds: by then every lease this node saw may have expired, so it
 * cannot vouch for any member (docs/cluster-etcd.md, "Store lost").
 */
export function isStoreLost(lastAnswerMs: number, nowMs: number, leaseSeconds: number): boolean {
  return nowMs - lastAnswerMs > leaseSeconds * 1000;
}
