import type { Config } from '../contracts/config.js';
import type { DrainReason } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import type { Slot } from './slot.js';
import type { WorkerProcess } from './worker-process.js';

/** What the guard reads, and how it replaces a worker. */
export interface RecycleTarget {
  readonly log: Logger;
  /** The config in force; read at every report, a reload may change it. */
  config(): Config;
  /** False while a reload or a shutdown runs: those replace workers themselves. */
  mayRecycle(): boolean;
  slotOf(wp: WorkerProcess): Slot | undefined;
  replace(slot: Slot, reason: DrainReason): Promise<string | null>;
}

/** Two readings in a row: one spike during a burst is not "stays over it". */
const READINGS_OVER_LIMIT = 2;

/**
 * Bloated workers (docs/operations.md, "Bloated workers"): with
 * maxWorkerMemoryMB, a ready worker whose reported RSS stays over it is
 * replaced like one slot of a reload. A replacement that fails leaves the
 * old worker serving, and the recycle is tried again after maxBackoffSeconds.
 */
export class MemoryGuard {
  readonly #target: RecycleTarget;

  constructor(target: RecycleTarget) {
    this.#target = target;
  }

  /** Looks at the worker's latest heartbeat report. */
  check(wp: WorkerProcess): void {
    const log = this.#target.log;
    const limitMb = this.#target.config().propane.maxWorkerMemoryMB;
    const rss = wp.stats?.rss_bytes;
    if (limitMb === 0 || rss === null || rss === undefined || wp.state !== 'ready') return;
    wp.overMemoryChecks = rss > limitMb * 1024 * 1024 ? wp.overMemoryChecks + 1 : 0;
    const slot = this.#target.slotOf(wp);
    if (wp.overMemoryChecks < READINGS_OVER_LIMIT || performance.now() < wp.recycleNotBeforeMs || !slot || slot.current !== wp || !this.#target.mayRecycle()) return;
    wp.recycleNotBeforeMs = Infinity;
    logEvent(log, 'warn', 'worker_recycled', { slot: wp.slot, worker_pid: wp.pid, rss_bytes: rss, limit_mb: limitMb }, 'worker over maxWorkerMemoryMB; replacing it');
    void this.#target.replace(slot, 'recycle').then((failure) => {
      if (!failure) return;
      // A replacement that cannot boot must not be retried at every heartbeat: wait as long as the crash-loop cap.
      const retryMs = this.#target.config().propane.crashLoop.maxBackoffSeconds * 1000;
      wp.recycleNotBeforeMs = performance.now() + retryMs;
      logEvent(log, 'error', 'worker_recycled', { slot: wp.slot, worker_pid: wp.pid, failure, retry_in_ms: retryMs }, 'replacement failed; the old worker keeps serving');
    });
  }
}
