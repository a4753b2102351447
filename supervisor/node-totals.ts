import { LATENCY_BUCKETS_SECONDS, REJECT_REASONS, STATUS_CLASSES, TIMEOUT_REASONS, TLS_HANDSHAKE_FAILURE_REASONS, type WorkerStats } from '../contracts/ipc.js';
import { zeros } from '../shared/counts.js';

/**
 * Node-wide counters built from the workers' cumulative reports: each report
 * adds its delta since the worker's previous one, so a worker that exits
 * takes nothing away and counters never go backwards.
 */
export class NodeTotals {
  readonly requests = zeros(STATUS_CLASSES);
  readonly rejected = zeros(REJECT_REASONS);
  readonly timeouts = zeros(TIMEOUT_REASONS);
  readonly tlsHandshakeFailures = zeros(TLS_HANDSHAKE_FAILURE_REASONS);
  readonly latencyBuckets: number[] = LATENCY_BUCKETS_SECONDS.map(() => 0);
  latencySum = 0;
  latencyCount = 0;
  readonly #last = new Map<number, WorkerStats>();

  add(worker: number, stats: WorkerStats): void {
    const prev = this.#last.get(worker);
    this.#last.set(worker, stats);
    addDelta(this.requests, stats.requests, prev?.requests);
    addDelta(this.rejected, stats.rejected, prev?.rejected);
    addDelta(this.timeouts, stats.timeouts, prev?.timeouts);
    addDelta(this.tlsHandshakeFailures, stats.tls_handshake_failures, prev?.tls_handshake_failures);
    stats.latency.bucket_counts.forEach((n, i) => (this.latencyBuckets[i]! += Math.max(0, n - (prev?.latency.bucket_counts[i] ?? 0))));
    this.latencySum += Math.max(0, stats.latency.sum_seconds - (prev?.latency.sum_seconds ?? 0));
    this.latencyCount += Math.max(0, stats.latency.count - (prev?.latency.count ?? 0));
  }

  forget(worker: number): void {
    this.#last.delete(worker);
  }
}

function addDelta<T extends Record<string, number>>(into: T, now: T, prev: T | undefined): void {
  for (const key of Object.keys(now) as Array<keyof T>) {
    (into[key] as number) += Math.max(0, (now[key] ?? 0) - (prev?.[key] ?? 0));
  }
}
