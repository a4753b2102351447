import type { LastExit } from '../contracts/status.js';
import { isCrashLooping, NO_CRASHES, type CrashHistory } from './crash-loop.js';
import type { WorkerProcess } from './worker-process.js';

/**
 * A worker slot: the position a worker fills. Replacements (reload, recycle,
 * respawn) take over the slot; its restart count and exit history stay.
 */
export class Slot {
  readonly index: number;
  current: WorkerProcess | null = null;
  restarts = 0;
  hungKills = 0;
  crashHistory: CrashHistory = NO_CRASHES;
  lastExit: LastExit | null = null;
  respawnAtMs: number | null = null;
  respawnTimer: NodeJS.Timeout | undefined;
  stableTimer: NodeJS.Timeout | undefined;
  retired = false;
  /** The replacement under way (reload or memory recycle); another waits for it rather than racing it. */
  replacing: Promise<string | null> | null = null;

  constructor(index: number) {
    this.index = index;
  }

  get crashLooping(): boolean {
    return isCrashLooping(this.crashHistory);
  }

  cancelTimers(): void {
    clearTimeout(this.respawnTimer);
    clearTimeout(this.stableTimer);
    this.respawnTimer = undefined;
    this.stableTimer = undefined;
    this.respawnAtMs = null;
  }
}
