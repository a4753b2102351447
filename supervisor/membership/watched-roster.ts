import type { IKeyValue } from 'etcd3';
import type { Member } from '../../contracts/cluster.js';
import { logEvent, type Logger } from '../../shared/log.js';
import { parseRegistration, viewRoster, type Registration } from './roster.js';

/**
 * The registrations under the nodes prefix as this node last read or
 * watched them, the etcd revision they reflect, and the member list made of
 * them. A change of members is counted and logged here, once.
 */
export class WatchedRoster {
  readonly #prefix: string;
  readonly #log: Logger;
  /** etcd key -> registration. */
  readonly #registrations = new Map<string, Registration>();
  #revision = 0n;
  readonly #garbageLogged = new Set<string>();
  #viewKey = '';
  #members: Member[] = [];
  #changes = 0;
  #lastChangeAt: string | null = null;

  constructor(prefix: string, log: Logger) {
    this.#prefix = prefix;
    this.#log = log;
  }

  get revision(): bigint {
    return this.#revision;
  }

  get members(): Member[] {
    return this.#members;
  }

  /** Membership changes seen since start. */
  get changes(): number {
    return this.#changes;
  }

  get lastChangeAt(): string | null {
    return this.#lastChangeAt;
  }

  /** A full read of the prefix at `revision` replaces everything held. */
  replace(kvs: readonly IKeyValue[], revision: bigint): void {
    this.#registrations.clear();
    for (const kv of kvs) this.#apply(kv, 'put');
    this.#revision = revision;
  }

  /** A watched change; false when a newer full read already holds it. */
  applyWatched(kv: IKeyValue, type: 'put' | 'delete'): boolean {
    const revision = BigInt(kv.mod_revision);
    if (revision <= this.#revision) return false;
    this.#revision = revision;
    this.#apply(kv, type);
    return true;
  }

  /** The store is lost: no registration can be vouched for any more. */
  clear(): void {
    this.#registrations.clear();
  }

  /** Recomputes the member list (empty while the store is not connected); true when what it shows changed. */
  refresh(connected: boolean): boolean {
    const members = connected ? viewRoster(this.#registrations.values()).members : [];
    const key = JSON.stringify([connected, members]);
    if (key === this.#viewKey) return false;
    const membersChanged = JSON.stringify(members) !== JSON.stringify(this.#members);
    this.#viewKey = key;
    this.#members = members;
    if (membersChanged) {
      this.#changes++;
      this.#lastChangeAt = new Date().toISOString();
      logEvent(this.#log, 'info', 'membership_changed', { members, observed_nodes: members.filter((m) => m.ready).length, store: connected ? 'connected' : 'unavailable' }, 'cluster membership changed');
    }
    return true;
  }

  #apply(kv: IKeyValue, type: 'put' | 'delete'): void {
    const key = kv.key.toString('utf8');
    if (type === 'delete') {
      this.#registrations.delete(key);
      return;
    }
    const reg = parseRegistration(key, kv.value.toString('utf8'), this.#prefix);
    if (reg) {
      this.#registrations.set(key, reg);
      return;
    }
    this.#registrations.delete(key);
    if (!this.#garbageLogged.has(key)) {
      this.#garbageLogged.add(key);
      logEvent(this.#log, 'warn', 'membership_garbage', { key, value_bytes: kv.value.length }, 'ignoring a value under the membership prefix that is not a propane registration');
    }
  }
}
