import type { Lease } from 'etcd3';
import { CALL_TIMEOUT_MS } from './etcd-client.js';

/** A failed keepalive is retried this soon, on whichever endpoint etcd3 picks next. */
const KEEPALIVE_RETRY_MS = 100;

/**
 * Keeps a session's lease alive with one `keepaliveOnce` every
 * leaseSeconds / 3, each under a deadline, one at a time: so each can reach
 * a different endpoint when one member hangs, where etcd3's long-lived
 * keepalive stream would sit on the hung member for a whole TTL.
 */
export class LeaseKeepalive {
  readonly #intervalMs: number;
  readonly #answered: () => void;
  #lastMs = 0;
  #inFlight = false;

  constructor(leaseSeconds: number, answered: () => void) {
    this.#intervalMs = (leaseSeconds * 1000) / 3;
    this.#answered = answered;
  }

  /** A new session: its first keepalive is due one interval after `nowMs`. */
  restart(nowMs: number): void {
    this.#lastMs = nowMs;
  }

  /** Sends a keepalive when one is due and none is in flight. */
  tick(lease: Lease | null, nowMs: number): void {
    if (this.#inFlight || nowMs - this.#lastMs < this.#intervalMs || !lease) return;
    this.#inFlight = true;
    this.#lastMs = nowMs;
    lease
      .keepaliveOnce({ deadline: Date.now() + Math.min(CALL_TIMEOUT_MS, this.#intervalMs) })
      .then(
        () => this.#answered(),
        () => {
          // A lease that is gone emits 'lost'. Anything else (a dead or hung member) is retried at once on another endpoint.
          this.#lastMs = performance.now() - this.#intervalMs + KEEPALIVE_RETRY_MS;
        },
      )
      .finally(() => (this.#inFlight = false));
  }
}
