import type { CrashLoop } from '../contracts/config.js';

export interface RespawnPolicy extends CrashLoop {
  respawnDelayMs: number;
}

/** Backoff never starts below this, so `respawnDelayMs: 0` cannot spin a crash loop. */
export const MIN_BACKOFF_BASE_MS = 100;

export function recentExits(exitsMs: readonly number[], nowMs: number, p: RespawnPolicy): number {
  return exitsMs.filter((t) => nowMs - t < p.windowSeconds * 1000).length;
}

/** SPEC section 6: maxRestarts unplanned exits inside windowSeconds put the slot in crash_loop. */
export function isCrashLooping(exitsMs: readonly number[], nowMs: number, p: RespawnPolicy): boolean {
  return recentExits(exitsMs, nowMs, p) >= p.maxRestarts;
}

/**
 * How long to wait before the next respawn: respawnDelayMs below the
 * threshold, then doubling per further exit up to maxBackoffSeconds.
 */
export function computeRespawnDelayMs(exitsMs: readonly number[], nowMs: number, p: RespawnPolicy): number {
  const recent = recentExits(exitsMs, nowMs, p);
  if (recent < p.maxRestarts) return p.respawnDelayMs;
  const base = Math.max(p.respawnDelayMs, MIN_BACKOFF_BASE_MS);
  return Math.min(base * 2 ** (recent - p.maxRestarts + 1), p.maxBackoffSeconds * 1000);
}

/** Exits older than the window are forgotten; a worker up for stableSeconds clears the slot's history. */
export function pruneExits(exitsMs: readonly number[], nowMs: number, p: RespawnPolicy): number[] {
  return exitsMs.filter((t) => nowMs - t < p.windowSeconds * 1000);
}
