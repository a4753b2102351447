import type { Config } from '../contracts/config.js';
import type { DrainReason } from '../contracts/ipc.js';
import type { ReloadRecord, SupervisorState } from '../contracts/status.js';
import { logEvent, type Logger } from '../shared/log.js';
import type { Slot } from './slot.js';
import type { WorkerProcess } from './worker-process.js';

/** The slot operations a reload is made of (the worker pool). */
export interface ReloadPool {
  /** Slots in service, in order. */
  activeSlots(): Slot[];
  /** Replaces the slot's worker, ready before the old one drains; resolves with the failure, or null. */
  replace(slot: Slot, reason: DrainReason): Promise<string | null>;
  /** A new slot with a worker forked into it. */
  addSlot(): WorkerProcess;
  retire(slot: Slot): void;
  /** Resolves once every worker told to drain so far has exited. */
  drained(): Promise<void>;
}

/** What a reload acts on. */
export interface ReloadTarget {
  readonly log: Logger;
  readonly pool: ReloadPool;
  /** Puts `next` in force and returns the config it replaced. */
  applyConfig(next: Config): Config;
  /** The state a shutdown moved the supervisor to during the reload, or null while it is still reloading. */
  interruptedBy(): SupervisorState | null;
}

/** A reload that ran to its outcome. */
export interface FinishedReload {
  record: ReloadRecord & { finished_at: string; outcome: 'completed' | 'aborted' };
  durationMs: number;
}

/**
 * Rolling reload (docs/operations.md, "Rolling reload"): with the new,
 * already validated config, replace the workers slot by slot, each
 * replacement ready before the old worker drains. The first replacement
 * that fails aborts the reload; the slots not yet replaced keep their
 * workers, and the old config stays in force for them.
 */
export async function runRollingReload(target: ReloadTarget, next: Config, startedAt: Date): Promise<FinishedReload> {
  const t0 = performance.now();
  const { log, pool } = target;
  logEvent(log, 'info', 'reload_started', { workers: next.workers }, 'rolling reload started');
  const previous = target.applyConfig(next);

  let failure: string | null = null;
  for (const slot of pool.activeSlots().slice(0, next.workers)) {
    failure = await pool.replace(slot, 'reload');
    if (failure) break;
    const state = target.interruptedBy();
    if (state) {
      failure = `the supervisor began ${state} during the reload`;
      break;
    }
  }
  if (!failure) failure = await resize(pool, next.workers);
  else target.applyConfig({ ...previous });
  // The reload is over when the old workers are gone, not when they were told to drain.
  await pool.drained();

  const durationMs = performance.now() - t0;
  const record = { started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), outcome: failure ? ('aborted' as const) : ('completed' as const), reason: failure };
  if (failure) logEvent(log, 'error', 'reload_aborted', { reason: failure, duration_ms: Math.round(durationMs) }, 'rolling reload aborted; the old workers keep serving');
  else logEvent(log, 'info', 'reload_completed', { duration_ms: Math.round(durationMs), workers: next.workers }, 'rolling reload completed');
  return { record, durationMs };
}

/**
 * A reload may change `workers`: new slots are forked and waited for, surplus
 * slots drained and retired. Resolves with the first new slot's failure, if any
 * (that slot then respawns like any other).
 */
async function resize(pool: ReloadPool, workers: number): Promise<string | null> {
  const active = pool.activeSlots();
  const added = [];
  for (let i = active.length; i < workers; i++) added.push(pool.addSlot());
  for (const slot of active.slice(workers)) pool.retire(slot);
  for (const wp of added) {
    if ((await wp.settled) !== 'ready') return `slot ${wp.slot}: new worker pid ${wp.pid} ${wp.bootFailure}`;
  }
  return null;
}
