import type { PropaneError } from '../../shared/errors.js';
import { logEvent, type Logger } from '../../shared/log.js';
import { isStoreLost } from './roster.js';

/**
 * Whether the etcd store still answers, and what the operator is told about
 * it: `membership_store_lost`, `membership_store_restored` and
 * `membership_node_id_taken`, each logged once per episode
 * (docs/cluster-etcd.md, "What each fault looks like").
 */
export class StoreHealth {
  readonly #endpoints: readonly string[];
  readonly #leaseSeconds: number;
  readonly #log: Logger;
  #lastAnswerMs = 0;
  #lostLogged = false;
  #takenLogged = false;

  constructor(endpoints: readonly string[], leaseSeconds: number, log: Logger) {
    this.#endpoints = endpoints;
    this.#leaseSeconds = leaseSeconds;
    this.#log = log;
  }

  /** Any answer from any endpoint: the store is there. */
  answered(): void {
    this.#lastAnswerMs = performance.now();
  }

  /** No endpoint answered for longer than leaseSeconds. */
  isLost(nowMs: number): boolean {
    return isStoreLost(this.#lastAnswerMs, nowMs, this.#leaseSeconds);
  }

  /** A session is open again: the node is registered afresh under `nodeKey`. */
  connected(nodeKey: string): void {
    this.answered();
    this.#takenLogged = false;
    if (!this.#lostLogged) return;
    this.#lostLogged = false;
    logEvent(this.#log, 'info', 'membership_store_restored', { endpoints: this.#endpoints, node_key: nodeKey }, 'etcd answers again; registered afresh');
  }

  reportLost(reason: string): void {
    if (this.#lostLogged) return;
    this.#lostLogged = true;
    logEvent(this.#log, 'warn', 'membership_store_lost', { endpoints: this.#endpoints, lease_seconds: this.#leaseSeconds, reason }, 'etcd unavailable: no member can be vouched for (observed_nodes 0)');
  }

  reportTaken(err: PropaneError, nodeKey: string): void {
    if (this.#takenLogged) return;
    this.#takenLogged = true;
    logEvent(this.#log, 'error', 'membership_node_id_taken', { code: err.code, node_key: nodeKey }, err.message);
  }
}
