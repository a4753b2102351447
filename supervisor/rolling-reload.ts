import type { Config } from '../contracts/config.js';
import type { ReloadRecord, ReloadResponse } from '../contracts/status.js';
import { logEvent } from '../shared/log.js';
import { Slot } from './slot.js';
import type { Supervisor } from './supervisor.js';

/**
 * SPEC section 6, rolling reload: with the new, already validated config,
 * replace the workers slot by slot, each replacement ready before the old
 * worker drains. The first replacement that fails aborts the reload; the
 * slots not yet replaced keep their workers, and the old config stays in
 * force for them.
 */
export async function runRollingReload(sup: Supervisor, next: Config, startedAt: Date): Promise<ReloadResponse> {
  const t0 = performance.now();
  sup.state = 'reloading';
  sup.lastReload = { started_at: startedAt.toISOString(), finished_at: null, outcome: null, reason: null };
  logEvent(sup.log, 'info', 'reload_started', { workers: next.workers }, 'rolling reload started');
  const previous = sup.applyConfig(next);

  let failure: string | null = null;
  for (const slot of sup.slots.filter((s) => !s.retired).slice(0, next.workers)) {
    failure = await sup.replace(slot, 'reload');
    if (failure) break;
    if (sup.state !== 'reloading') {
      failure = `the supervisor began ${sup.state} during the reload`;
      break;
    }
  }
  if (!failure) failure = await resize(sup, next.workers);
  else sup.applyConfig({ ...previous });
  // The reload is over when the old workers are gone, not when they were told to drain.
  await sup.drained();

  const durationMs = performance.now() - t0;
  const record: ReloadRecord = {
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    outcome: failure ? 'aborted' : 'completed',
    reason: failure,
  };
  sup.recordReload(record, durationMs);
  if (failure) logEvent(sup.log, 'error', 'reload_aborted', { reason: failure, duration_ms: Math.round(durationMs) }, 'rolling reload aborted; the old workers keep serving');
  else logEvent(sup.log, 'info', 'reload_completed', { duration_ms: Math.round(durationMs), workers: next.workers }, 'rolling reload completed');
  sup.pushClusterState();
  return { schema_version: 1, outcome: record.outcome!, reason: record.reason, started_at: record.started_at, finished_at: record.finished_at! };
}

/**
 * A reload may change `workers`: new slots are forked and waited for, surplus
 * slots drained and retired. Resolves with the first new slot's failure, if any
 * (that slot then respawns like any other).
 */
async function resize(sup: Supervisor, workers: number): Promise<string | null> {
  const active = sup.slots.filter((s) => !s.retired);
  const added = [];
  for (let i = active.length; i < workers; i++) {
    const slot = new Slot(sup.slots.length);
    sup.slots.push(slot);
    added.push(sup.spawn(slot));
  }
  for (const slot of active.slice(workers)) sup.retire(slot);
  for (const wp of added) {
    if ((await wp.settled) !== 'ready') return `slot ${wp.slot}: new worker pid ${wp.pid} ${wp.bootFailure}`;
  }
  return null;
}
