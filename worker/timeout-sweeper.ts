import type { PropaneRequestContext } from '../contracts/app.js';
import type { Config } from '../contracts/config.js';
import { logEvent, type Logger } from '../shared/log.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { ClusterView } from './cluster-view.js';
import type { Conn } from './connection.js';
import { endWithRawResponse, TIMEOUT_BODY } from './raw-responses.js';
import { contextOf, freshIdentity, logFields, responseHeaderPairs, type IdentityHeaderSettings } from './request-identity.js';
import type { TimeoutReason, WorkerCounters } from './stats.js';
import { sweepIntervalMs, sweepTimeouts, type TimeoutLimitsMs } from './timeouts.js';

/**
 * node:http's own timeouts, all off: the sweep owns every timeout, so it can
 * answer with the 408 of docs/endpoints.md ("Timeouts") and count the reason.
 */
export const NODE_HTTP_TIMEOUTS_OFF = { requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 } as const;

export interface TimeoutSweeperDeps {
  view: ClusterView;
  counters: WorkerCounters;
  log: Logger;
  identityHeaders: IdentityHeaderSettings;
}

/**
 * Acts on the verdicts of `sweepTimeouts` on a timer: a 408 where the
 * client is owed an answer, a cut otherwise. Every cut is counted; the log
 * gets one line per reason per window, so a slowloris flood stays a few lines.
 */
export class TimeoutSweeper {
  readonly limits: TimeoutLimitsMs;
  readonly #conns: Iterable<Conn>;
  readonly #deps: TimeoutSweeperDeps;
  readonly #rateLimit = new RateLimitedLog(5000);
  readonly #more: Array<(now: number) => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(timeouts: Config['timeouts'], conns: Iterable<Conn>, deps: TimeoutSweeperDeps) {
    this.limits = {
      header: timeouts.headerSeconds * 1000,
      body: timeouts.bodySeconds * 1000,
      idle: timeouts.idleSeconds * 1000,
      write: timeouts.writeSeconds * 1000,
    };
    this.#conns = conns;
    this.#deps = deps;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#sweep(), sweepIntervalMs(this.limits)).unref();
  }

  /**
   * Counts and logs a cut made here or elsewhere (a WebSocket that missed its
   * pong); the line carries the ids of the request cut, when one was parsed.
   */
  count(reason: TimeoutReason, context: PropaneRequestContext | undefined): void {
    const total = ++this.#deps.counters.timeouts[reason];
    const suppressed = this.#rateLimit.admit(reason, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'info', 'timeout', { reason, suppressed_since_last: suppressed, timeouts_total: total, ...logFields(context) }, `connection timed out (${reason})`);
    }
  }

  /** More work for every sweep, on its timer: the refused connections' deadlines (session-refusal.ts). */
  also(sweep: (now: number) => void): void {
    this.#more.push(sweep);
  }

  /** Stops sweeping; safe to call twice. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = performance.now();
    for (const sweep of this.#more) sweep(now);
    for (const { conn, reason, answer408 } of sweepTimeouts(this.#conns, now, this.limits)) {
      // A request in progress (body, write) was parsed and has its ids; headers that never completed have none.
      const context = contextOf(conn.req);
      this.count(reason, context);
      conn.closed = true;
      if (answer408 && conn.socket.writable) {
        const identity = responseHeaderPairs(context ?? freshIdentity(), this.#deps.identityHeaders);
        endWithRawResponse(conn.socket, '408 Request Timeout', TIMEOUT_BODY, [['X-Arlen-Timeout-Reason', reason], ...identity, ...this.#deps.view.headers]);
      } else {
        conn.socket.destroy();
      }
    }
  }
}
