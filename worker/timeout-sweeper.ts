import type { Config } from '../contracts/config.js';
import { logEvent, type Logger } from '../shared/log.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { ClusterView } from './cluster-view.js';
import type { Conn } from './connection.js';
import { endWithRawResponse, TIMEOUT_BODY } from './raw-responses.js';
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

  /** Counts and logs a cut made here or elsewhere (a WebSocket that missed its pong). */
  count(reason: TimeoutReason): void {
    const total = ++this.#deps.counters.timeouts[reason];
    const suppressed = this.#rateLimit.admit(reason, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'info', 'timeout', { reason, suppressed_since_last: suppressed, timeouts_total: total }, `connection timed out (${reason})`);
    }
  }

  /** Stops sweeping; safe to call twice. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    for (const { conn, reason, answer408 } of sweepTimeouts(this.#conns, performance.now(), this.limits)) {
      this.count(reason);
      conn.closed = true;
      if (answer408 && conn.socket.writable) {
        endWithRawResponse(conn.socket, '408 Request Timeout', TIMEOUT_BODY, [['X-Arlen-Timeout-Reason', reason], ...this.#deps.view.headers]);
      } else {
        conn.socket.destroy();
      }
    }
  }
}
