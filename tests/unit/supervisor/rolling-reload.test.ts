import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import type { SupervisorState } from '../../../contracts/status.js';
import { runRollingReload, type ReloadPool } from '../../../supervisor/rolling-reload.js';
import type { Slot } from '../../../supervisor/slot.js';
import type { WorkerProcess } from '../../../supervisor/worker-process.js';
import { logSink } from '../../helpers/log-sink.js';

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

for (const c of [
  { name: 'replaces every slot in order, then waits for the old workers to be gone', workers: 2, next: 2, calls: ['replace 0 reload', 'replace 1 reload', 'drained'], outcome: 'completed', reason: null },
  {
    name: 'the first failed replacement aborts: later slots are not touched, the drains begun are still waited for',
    workers: 3, next: 3, opts: { failures: [null, 'slot 1: replacement pid 9 load failed: boom'] },
    calls: ['replace 0 reload', 'replace 1 reload', 'drained'], outcome: 'aborted', reason: 'slot 1: replacement pid 9 load failed: boom',
  },
  { name: 'a shutdown during the reload aborts it with the state it moved to', workers: 2, next: 2, opts: { interruptAfter: 1 }, calls: ['replace 0 reload', 'drained'], outcome: 'aborted', reason: 'the supervisor began draining during the reload' },
  { name: 'more workers: the new slots are forked and waited for', workers: 1, next: 3, calls: ['replace 0 reload', 'add 1', 'add 2', 'drained'], outcome: 'completed', reason: null },
  { name: 'a new slot that cannot boot aborts the reload with its reason', workers: 1, next: 2, opts: { newSlotsBoot: false }, calls: ['replace 0 reload', 'add 1', 'drained'], outcome: 'aborted', reason: 'slot 1: new worker pid 5001 load failed: boom' },
  { name: 'fewer workers: the first slots are replaced and the surplus retired', workers: 3, next: 1, calls: ['replace 0 reload', 'retire 1', 'retire 2', 'drained'], outcome: 'completed', reason: null },
]) {
  t.test(c.name, async (t) => {
    const { target, calls } = setup(c.workers, c.opts);
    const { record } = await runRollingReload(target, cfg(c.next), startedAt);
    t.same(calls, c.calls);
    t.match(record, { started_at: startedAt.toISOString(), outcome: c.outcome, reason: c.reason });
    t.type(record.finished_at, 'string');
  });
}

t.test('a completed reload puts the new config in force once and logs its start and end', async (t) => {
  const { target, applied, lines } = setup(2);
  await runRollingReload(target, cfg(2), startedAt);
  t.same(applied, [2]);
  t.same(lines.map((l) => l.event), ['reload_started', 'reload_completed']);
});

t.test('an aborted reload puts the old config back in force and logs why', async (t) => {
  const { target, applied, lines } = setup(3, { failures: ['slot 0: replacement pid 9 load failed: boom'] });
  await runRollingReload(target, cfg(3), startedAt);
  t.same(applied, [3, 3], 'applied, then restored');
  t.match(lines.at(-1), { event: 'reload_aborted', level: 50, reason: 'slot 0: replacement pid 9 load failed: boom' });
});
