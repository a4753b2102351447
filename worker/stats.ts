import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { WorkerStats } from '../contracts/ipc.js';
import { LATENCY_BUCKETS_SECONDS, REJECT_REASONS, STATUS_CLASSES, TIMEOUT_REASONS, TLS_HANDSHAKE_FAILURE_REASONS } from '../contracts/ipc-constants.js';
import { zeros } from '../shared/counts.js';
import { readRss } from '../shared/rss.js';

export type TimeoutReason = (typeof TIMEOUT_REASONS)[number];
export type RejectReason = (typeof REJECT_REASONS)[number];
export type HandshakeFailureReason = (typeof TLS_HANDSHAKE_FAILURE_REASONS)[number];

/**
 * Counters the worker keeps and reports with every heartbeat answer; the
 * supervisor aggregates them node-wide for /status and /metrics.
 */
export class WorkerCounters {
  sessions = { http: 0, websocket: 0 };
  readonly requests = zeros(STATUS_CLASSES);
  readonly rejected = zeros(REJECT_REASONS);
  readonly timeouts = zeros(TIMEOUT_REASONS);
  readonly tlsHandshakeFailures = zeros(TLS_HANDSHAKE_FAILURE_REASONS);
  readonly #bucketCounts: number[] = LATENCY_BUCKETS_SECONDS.map(() => 0);
  #latencySum = 0;
  #latencyCount = 0;
  readonly #lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.#lag.enable();
  }

  recordResponse(statusCode: number, seconds: number): void {
    const cls = STATUS_CLASSES[Math.floor(statusCode / 100) - 1];
    if (cls) this.requests[cls]++;
    this.#latencySum += seconds;
    this.#latencyCount++;
    for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      if (seconds <= LATENCY_BUCKETS_SECONDS[i]!) {
        this.#bucketCounts[i]!++;
        break;
      }
    }
  }

  snapshot(): WorkerStats {
    const lagMs = Number.isFinite(this.#lag.max) ? this.#lag.percentile(99) / 1e6 : 0;
    this.#lag.reset();
    let cumulative = 0;
    return {
      sessions: { ...this.sessions },
      event_loop_lag_ms: Math.round(Math.max(0, lagMs - 20) * 100) / 100,
      rss_bytes: readRss(),
      requests: { ...this.requests },
      rejected: { ...this.rejected },
      timeouts: { ...this.timeouts },
      tls_handshake_failures: { ...this.tlsHandshakeFailures },
      latency: {
        bucket_counts: this.#bucketCounts.map((n) => (cumulative += n)),
        sum_seconds: this.#latencySum,
        count: this.#latencyCount,
      },
    };
  }

  close(): void {
    this.#lag.disable();
  }
}
