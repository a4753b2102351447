import type { CrashLoop } from '../contracts/config.js';

export interface RespawnPolicy extends CrashLoop {
  respawnDelayMs: number;
}

/**
 * A slot's unplanned exits (ms timestamps) and its backoff step: 0 while it
 * is not crash-looping, then 1, 2, 3... one per exit while it is. The step
 * is not derived from the window alone: once the backoff has grown past the
 * window, the window would hold too few exits and fast restarts would start
 * over; only stableSeconds of uptime ends a crash loop (docs/operations.md,
 * "Crashes and crash loops").
 */
export interface CrashHistory {
  readonly exitsMs: readonly number[];
  readonly backoffStep: number;
}

export interface RespawnDecision {
  history: CrashHistory;
  delayMs: number;
  crashLooping: boolean;
  /** True on the exit that put the slot into crash_loop. */
  entered: boolean;
}

export const NO_CRASHES: CrashHistory = Object.freeze({ exitsMs: Object.freeze([]), backoffStep: 0 });

/** Backoff never starts below this, so `respawnDelayMs: 0` cannot spin a crash loop. */
export const MIN_BACKOFF_BASE_MS = 100;

export function isCrashLooping(history: CrashHistory): boolean {
  return history.backoffStep > 0;
}

/**
 * Records an unplanned exit at `nowMs` and decides the respawn delay:
 * respawnDelayMs while fewer than maxRestarts exits fall inside windowSeconds;
 * from the maxRestarts-th on, the slot is crash-looping and each exit doubles
 * the delay, from twice respawnDelayMs up to maxBackoffSeconds.
 */
export function recordExit(history: CrashHistory, nowMs: number, p: RespawnPolicy): RespawnDecision {
  const windowMs = p.windowSeconds * 1000;
  const exitsMs = [...history.exitsMs.filter((t) => nowMs - t < windowMs), nowMs];
  const wasLooping = history.backoffStep > 0;
  const backoffStep = wasLooping ? history.backoffStep + 1 : exitsMs.length >= p.maxRestarts ? 1 : 0;
  const next: CrashHistory = { exitsMs, backoffStep };
  if (backoffStep === 0) return { history: next, delayMs: p.respawnDelayMs, crashLooping: false, entered: false };
  const base = Math.max(p.respawnDelayMs, MIN_BACKOFF_BASE_MS);
  const capMs = Math.max(p.maxBackoffSeconds * 1000, p.respawnDelayMs);
  return { history: next, delayMs: Math.min(base * 2 ** backoffStep, capMs), crashLooping: true, entered: !wasLooping };
}
