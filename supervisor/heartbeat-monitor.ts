import { IPC_SCHEMA_VERSION } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import { heartbeatIntervalMs, isHung, Ticker } from './heartbeat.js';
import type { WorkerProcess } from './worker-process.js';

/** What the monitor reads and reports to. */
export interface HeartbeatTarget {
  readonly log: Logger;
  /** Read at every tick: a reload may change it. */
  workerTimeoutSeconds(): number;
  workers(): Iterable<WorkerProcess>;
  slotOf(wp: WorkerProcess): { hungKills: number } | undefined;
  /** Runs after every round of heartbeats, so what follows the workers' reports is refreshed at that pace. */
  afterTick(): void;
}

/**
 * Hung workers (docs/operations.md, "Hung workers"): heartbeats every worker
 * that is past its boot, and SIGKILLs one whose last answer is older than
 * workerTimeoutSeconds; its exit is then booked and respawned like a crash.
 * A worker still booting is the ready timeout's business instead.
 */
export class HeartbeatMonitor {
  readonly #target: HeartbeatTarget;
  readonly #ticker = new Ticker();

  constructor(target: HeartbeatTarget) {
    this.#target = target;
  }

  /** The pace is set once, from the timeout at start. */
  start(): void {
    this.#ticker.start(heartbeatIntervalMs(this.#target.workerTimeoutSeconds()), () => this.#tick());
  }

  close(): void {
    this.#ticker.close();
  }

  #tick(): void {
    const now = performance.now();
    const timeout = this.#target.workerTimeoutSeconds();
    let seq = Math.floor(now);
    for (const wp of this.#target.workers()) {
      if (wp.state === 'starting' || !wp.isAlive || wp.cause === 'killed_hung') continue;
      if (isHung(wp.lastAckAtMs, now, timeout)) {
        this.#kill(wp, Math.round(now - wp.lastAckAtMs), timeout);
        continue;
      }
      wp.send({ type: 'heartbeat', schema_version: IPC_SCHEMA_VERSION, seq: seq++ });
    }
    this.#target.afterTick();
  }

  #kill(wp: WorkerProcess, silentMs: number, timeoutSeconds: number): void {
    wp.cause = 'killed_hung';
    const slot = this.#target.slotOf(wp);
    if (slot) slot.hungKills++;
    logEvent(this.#target.log, 'error', 'worker_hung', { slot: wp.slot, worker_pid: wp.pid, silent_ms: silentMs, timeout_seconds: timeoutSeconds }, 'worker missed its heartbeats; killing it');
    wp.kill();
  }
}
