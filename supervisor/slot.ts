import type { WorkerState } from '../contracts/cluster.js';
import type { LastExit } from '../contracts/status.js';
import { isCrashLooping, NO_CRASHES, recordExit, type CrashHistory, type RespawnDecision, type RespawnPolicy } from './crash-loop.js';
import type { ProcessState, WorkerProcess } from './worker-process.js';

/** A slot as GET /status and GET /metrics read it. */
export interface SlotView {
  readonly index: number;
  readonly restarts: number;
  readonly hungKills: number;
  readonly lastExit: LastExit | null;
  /** Date.now() of the pending respawn, or null. */
  readonly respawnAtMs: number | null;
  readonly retired: boolean;
  readonly crashLooping: boolean;
  readonly shownState: WorkerState;
  shownStateOf(wp: { readonly state: ProcessState }): WorkerState;
}

/**
 * A worker slot: the position a worker fills. Replacements (reload, recycle,
 * respawn) take over the slot; its restart count and exit history stay. The
 * slot owns its two timers: the pending respawn and the stability watch that
 * ends a crash loop (docs/operations.md, "Crashes and crash loops").
 */
export class Slot implements SlotView {
  readonly index: number;
  current: WorkerProcess | null = null;
  restarts = 0;
  hungKills = 0;
  lastExit: LastExit | null = null;
  retired = false;
  /** The replacement under way (reload or memory recycle); another waits for it rather than racing it. */
  replacing: Promise<string | null> | null = null;
  #crashHistory: CrashHistory = NO_CRASHES;
  #respawnAtMs: number | null = null;
  #respawnTimer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;

  constructor(index: number) {
    this.index = index;
  }

  get respawnAtMs(): number | null {
    return this.#respawnAtMs;
  }

  get crashLooping(): boolean {
    return isCrashLooping(this.#crashHistory);
  }

  /** How /status and the cluster state show the slot: its worker's state, or why it has none. */
  get shownState(): WorkerState {
    if (this.current?.isAlive) return this.shownStateOf(this.current);
    return this.crashLooping ? 'crash_loop' : 'exited';
  }

  /** A worker still booting in a crash-looping slot shows `crash_loop`: `starting` would hide the loop. */
  shownStateOf(wp: { readonly state: ProcessState }): WorkerState {
    return wp.state === 'starting' && this.crashLooping ? 'crash_loop' : wp.state;
  }

  /** Counts an unplanned exit at `nowMs` against the crash-loop policy and returns its decision. */
  recordCrash(nowMs: number, policy: RespawnPolicy): RespawnDecision {
    const decision = recordExit(this.#crashHistory, nowMs, policy);
    this.#crashHistory = decision.history;
    return decision;
  }

  /** Runs `respawn` after `delayMs`, unless a replacement or a shutdown cancels it first. */
  scheduleRespawn(delayMs: number, respawn: () => void): void {
    this.#respawnAtMs = Date.now() + delayMs;
    this.#respawnTimer = setTimeout(() => {
      this.#respawnTimer = undefined;
      this.#respawnAtMs = null;
      respawn();
    }, delayMs);
  }

  /** A replacement filled the slot: the respawn pending for it is moot. */
  cancelRespawn(): void {
    clearTimeout(this.#respawnTimer);
    this.#respawnTimer = undefined;
    this.#respawnAtMs = null;
  }

  /**
   * Once `wp` has stayed in the slot `stableMs`, the exit history is cleared,
   * and the backoff with it; then `onStable` learns whether that ended a crash loop.
   */
  watchStability(wp: WorkerProcess, stableMs: number, onStable: (wasCrashLooping: boolean) => void): void {
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      if (this.current !== wp || !wp.isAlive) return;
      const wasCrashLooping = this.crashLooping;
      this.#crashHistory = NO_CRASHES;
      onStable(wasCrashLooping);
    }, stableMs);
  }

  /** The slot's worker is gone: its uptime no longer counts toward stability. */
  stopStabilityWatch(): void {
    clearTimeout(this.#stableTimer);
  }

  cancelTimers(): void {
    this.cancelRespawn();
    clearTimeout(this.#stableTimer);
    this.#stableTimer = undefined;
  }
}
