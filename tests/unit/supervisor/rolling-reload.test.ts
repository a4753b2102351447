import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import type { SupervisorState } from '../../../contracts/status.js';
import { runRollingReload, type ReloadPool } from '../../../supervisor/rolling-reload.js';
import type { Slot } from '../../../supervisor/slot.js';
import type { WorkerProcess } from '../../../supervisor/worker-process.js';
import { logSink } from './log-sink.js';

const startedAt = new Date('2026-01-01T00:00:00.000Z');
const cfg = (workers: number): Config => ({ workers }) as Config;

/** A pool of `workers` slots that records every call; replacements fail as `failures` says, new slots as `newSlotsBoot` says. */
function setup(workers: number, opts: { failures?: Array<string | null>; newSlotsBoot?: boolean; interruptAfter?: number } = {}) {
  const { log, lines } = logSink();
  const slots = Array.from({ length: workers }, (_, index) => ({ index, retired: false })) as Slot[];
  const calls: string[] = [];
  const failures = [...(opts.failures ?? [])];
  let replaced = 0;
  const pool: ReloadPool = {
    activeSlots: () => slots.filter((s) => !s.retired),
    replace: (slot, reason) => {
      calls.push(`replace ${slot.index} ${reason}`);
      replaced++;
      return Promise.resolve(failures.shift() ?? null);
    },
    addSlot: () => {
      const index = slots.length;
      slots.push({ index, retired: false } as Slot);
      calls.push(`add ${index}`);
      const ready = opts.newSlotsBoot ?? true;
      return { slot: index, pid: 5000 + index, settled: Promise.resolve(ready ? 'ready' : 'exited'), bootFailure: 'load failed: boom' } as unknown as WorkerProcess;
    },
    retire: (slot) => {
      (slot as { retired: boolean }).retired = true;
      calls.push(`retire ${slot.index}`);
    },
    drained: () => {
      calls.push('drained');
      return Promise.resolve();
    },
  };
  const applied: number[] = [];
  let config = cfg(workers);
  const target = {
    log,
    pool,
    applyConfig: (next: Config) => {
      const previous = config;
      config = next;
      applied.push(next.workers);
      return previous;
    },
    interruptedBy: (): SupervisorState | null => (opts.interruptAfter !== undefined && replaced >= opts.interruptAfter ? 'draining' : null),
  };
  return { target, calls, applied, lines };
}

t.test('replaces every slot in order, then waits for the old workers to be gone', async (t) => {
  const { target, calls, applied, lines } = setup(2);
  const { record } = await runRollingReload(target, cfg(2), startedAt);
  t.same(calls, ['replace 0 reload', 'replace 1 reload', 'drained']);
  t.same(applied, [2], 'the new config is put in force once');
  t.match(record, { started_at: startedAt.toISOString(), outcome: 'completed', reason: null });
  t.type(record.finished_at, 'string');
  t.same(lines.map((l) => l.event), ['reload_started', 'reload_completed']);
});

t.test('the first failed replacement aborts: later slots are not touched and the old config is back in force', async (t) => {
  const { target, calls, applied, lines } = setup(3, { failures: [null, 'slot 1: replacement pid 9 load failed: boom'] });
  const { record } = await runRollingReload(target, cfg(3), startedAt);
  t.same(calls, ['replace 0 reload', 'replace 1 reload', 'drained'], 'the drains already begun are still waited for');
  t.same(applied, [3, 3], 'applied, then restored');
  t.match(record, { outcome: 'aborted', reason: 'slot 1: replacement pid 9 load failed: boom' });
  t.match(lines.at(-1), { event: 'reload_aborted', level: 50, reason: 'slot 1: replacement pid 9 load failed: boom' });
});

t.test('a shutdown during the reload aborts it with the state it moved to', async (t) => {
  const { target, calls } = setup(2, { interruptAfter: 1 });
  const { record } = await runRollingReload(target, cfg(2), startedAt);
  t.same(calls, ['replace 0 reload', 'drained']);
  t.match(record, { outcome: 'aborted', reason: 'the supervisor began draining during the reload' });
});

t.test('more workers: the new slots are forked and waited for', async (t) => {
  const { target, calls } = setup(1);
  const { record } = await runRollingReload(target, cfg(3), startedAt);
  t.same(calls, ['replace 0 reload', 'add 1', 'add 2', 'drained']);
  t.equal(record.outcome, 'completed');
});

t.test('a new slot that cannot boot aborts the reload with its reason', async (t) => {
  const { target } = setup(1, { newSlotsBoot: false });
  const { record } = await runRollingReload(target, cfg(2), startedAt);
  t.match(record, { outcome: 'aborted', reason: 'slot 1: new worker pid 5001 load failed: boom' });
});

t.test('fewer workers: the first slots are replaced and the surplus retired', async (t) => {
  const { target, calls } = setup(3);
  const { record } = await runRollingReload(target, cfg(1), startedAt);
  t.same(calls, ['replace 0 reload', 'retire 1', 'retire 2', 'drained']);
  t.equal(record.outcome, 'completed');
});
