import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import type { WorkerStats } from '../../../contracts/ipc.js';
import { MemoryGuard } from '../../../supervisor/memory-guard.js';
import type { Slot } from '../../../supervisor/slot.js';
import type { WorkerProcess } from '../../../supervisor/worker-process.js';
import { logSink } from '../../helpers/log-sink.js';
import { sleep } from '../../helpers/wait.js';

const MB = 1024 * 1024;

function setup(opts: { limitMb?: number; mayRecycle?: boolean; current?: boolean; failure?: string | null } = {}) {
  const { log, lines } = logSink();
  const wp = { slot: 0, pid: 4100, state: 'ready', stats: null, overMemoryChecks: 0, recycleNotBeforeMs: 0 } as unknown as WorkerProcess;
  const slot = { current: opts.current === false ? null : wp } as Slot;
  const replaced: string[] = [];
  const config = { propane: { maxWorkerMemoryMB: opts.limitMb ?? 100, crashLoop: { maxBackoffSeconds: 30 } } } as Config;
  const guard = new MemoryGuard({
    log,
    config: () => config,
    mayRecycle: () => opts.mayRecycle ?? true,
    slotOf: () => slot,
    replace: (_slot, reason) => {
      replaced.push(reason);
      return Promise.resolve(opts.failure ?? null);
    },
  });
  const report = (rssMb: number): void => {
    wp.stats = { rss_bytes: rssMb * MB } as WorkerStats;
    guard.check(wp);
  };
  return { wp, report, replaced, lines };
}

for (const c of [
  { name: 'two readings over the limit in a row replace the worker', readings: [150, 150], want: ['recycle'] },
  { name: 'one spike is not "stays over it"', readings: [150, 50, 150], want: [] },
  { name: 'a worker under the limit is left alone', readings: [50, 50, 50], want: [] },
  { name: 'a worker is recycled once, not at every reading', readings: [150, 150, 150, 150], want: ['recycle'] },
  { name: 'maxWorkerMemoryMB 0 turns the guard off', readings: [150, 150], want: [], opts: { limitMb: 0 } },
  { name: 'no recycle starts during a reload or a shutdown', readings: [150, 150], want: [], opts: { mayRecycle: false } },
  { name: 'a worker no longer in its slot is not recycled', readings: [150, 150], want: [], opts: { current: false } },
]) {
  t.test(c.name, async (t) => {
    const { report, replaced } = setup(c.opts);
    for (const mb of c.readings) report(mb);
    t.same(replaced, c.want);
  });
}

t.test('a failed replacement leaves the old worker serving and waits maxBackoffSeconds before trying again', async (t) => {
  const { wp, report, replaced, lines } = setup({ failure: 'slot 0: replacement pid 1 load failed: boom' });
  report(150);
  report(150);
  await sleep(0);
  t.same(replaced, ['recycle']);
  t.ok(wp.recycleNotBeforeMs > performance.now() + 29_000, 'the next try waits about maxBackoffSeconds');
  report(150);
  t.same(replaced, ['recycle'], 'no retry at the next heartbeat');
  t.same(lines.filter((l) => l.event === 'worker_recycled').map((l) => [l.level, l.failure ?? null]), [[40, null], [50, 'slot 0: replacement pid 1 load failed: boom']]);
});
