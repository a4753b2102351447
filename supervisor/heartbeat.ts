/**
 * The supervisor's periodic tick: heartbeats to workers (hung detection),
 * and whatever else must be refreshed at that pace. The timer is unref'd so
 * it never keeps the process alive on its own; close() is idempotent.
 */
export class Ticker {
  #timer: NodeJS.Timeout | undefined;

  start(everyMs: number, tick: () => void): void {
    this.#timer ??= setInterval(tick, everyMs).unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Heartbeat often enough to notice a hang well within workerTimeoutSeconds, at most once a second. */
export function heartbeatIntervalMs(workerTimeoutSeconds: number): number {
  return Math.max(50, Math.min(1000, Math.floor((workerTimeoutSeconds * 1000) / 4)));
}

/** A worker is hung when its last answer is older than the timeout. */
export function isHung(lastAckAtMs: number, nowMs: number, workerTimeoutSeconds: number): boolean {
  return nowMs - lastAckAtMs > workerTimeoutSeconds * 1000;
}
