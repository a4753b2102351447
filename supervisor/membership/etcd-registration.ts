import { PropaneError } from '../../shared/errors.js';
import { closeSession, type Session } from './etcd-client.js';
import { isSameProcess, parseRegistration, type Registration } from './roster.js';
import type { SelfInfo } from './source.js';

/** This node's registration key, and the prefix of every node's. */
export interface NodeKeys {
  key: string;
  prefix: string;
}

/** What this node writes at its key. */
export function registrationOf(self: SelfInfo, ready: boolean): Registration {
  return { node_id: self.nodeId, host: self.host, port: self.port, pid: self.pid, version: self.version, ready, started_at: self.startedAt };
}

/**
 * Writes the registration on the session's lease: creates the key only if
 * absent, in one transaction, and refuses with PROPANE_ERR_NODE_ID_TAKEN
 * when another live process holds the node id (docs/cluster-etcd.md).
 * `answered` runs on every answer from the store.
 */
export async function registerNode(session: Session, keys: NodeKeys, mine: Registration, answered: () => void): Promise<void> {
  const { client, leaseId } = session;
  const { key } = keys;
  const value = JSON.stringify(mine);
  const txn = await client.if(key, 'Create', '==', 0).then(client.put(key).value(value).lease(leaseId)).else(client.get(key)).commit();
  answered();
  if (txn.succeeded) {
    session.publishedReady = mine.ready;
    return;
  }
  const kv = txn.responses[0]?.response_range?.kvs[0];
  if (!kv) throw new Error('the registration key changed during the transaction');
  const holder = parseRegistration(key, kv.value.toString('utf8'), keys.prefix);
  if (holder && !isSameProcess(holder, mine)) {
    await session.lease?.revoke().catch(() => undefined); // the store answers: leave no stray lease behind
    throw new PropaneError(
      'PROPANE_ERR_NODE_ID_TAKEN',
      `cluster.nodeId ${JSON.stringify(mine.node_id)} is already registered in etcd (${key}) by a live process: host ${holder.host}, port ${holder.port}, pid ${holder.pid}, started ${holder.started_at}. Fix: give this node its own cluster.nodeId (ARLEN_CLUSTER_NODE_ID), or stop that process.`,
    );
  }
  // Our own registration from before the store was lost (or junk at our key): take it over with the new lease.
  const takeover = await client.if(key, 'Mod', '==', kv.mod_revision).then(client.put(key).value(value).lease(leaseId)).commit();
  answered();
  if (!takeover.succeeded) throw new Error('the registration key changed during the takeover');
  session.publishedReady = mine.ready;
}

/** Deletes the registration and revokes the lease, so peers see the node leave at once; then closes the session. */
export async function retireSession(session: Session, key: string): Promise<void> {
  try {
    // Only our own key: after a partition another process may hold the id.
    await session.client.if(key, 'Lease', '==', session.leaseId).then(session.client.delete().key(key)).commit();
    await session.lease?.revoke();
  } catch {
    // The lease expires by itself within leaseSeconds.
  }
  closeSession(session);
}
