import t from 'tap';
import type { RespawnPolicy } from '../../../supervisor/crash-loop.js';
import { Slot } from '../../../supervisor/slot.js';
import type { ProcessState, WorkerProcess } from '../../../supervisor/worker-process.js';
import { sleep } from '../../helpers/wait.js';

const policy: RespawnPolicy = { respawnDelayMs: 10, maxRestarts: 2, windowSeconds: 60, maxBackoffSeconds: 1, stableSeconds: 30 };

function worker(state: ProcessState, isAlive = true): WorkerProcess {
  return { state, isAlive } as WorkerProcess;
}

function crashLooping(): Slot {
  const slot = new Slot(0);
  slot.recordCrash(0, policy);
  slot.recordCrash(1, policy);
  return slot;
}

for (const c of [
  { name: 'an empty slot shows exited', slot: () => new Slot(0), current: null, want: 'exited' },
  { name: 'an empty crash-looping slot shows crash_loop', slot: crashLooping, current: null, want: 'crash_loop' },
  { name: 'a slot whose worker died shows exited', slot: () => new Slot(0), current: worker('ready', false), want: 'exited' },
  { name: 'a ready worker shows ready, crash loop or not', slot: crashLooping, current: worker('ready'), want: 'ready' },
  { name: 'a worker booting in a crash-looping slot shows crash_loop', slot: crashLooping, current: worker('starting'), want: 'crash_loop' },
  { name: 'a worker booting in a healthy slot shows starting', slot: () => new Slot(0), current: worker('starting'), want: 'starting' },
  { name: 'a draining worker shows draining', slot: () => new Slot(0), current: worker('draining'), want: 'draining' },
]) {
  t.test(c.name, async (t) => {
    const slot = c.slot();
    slot.current = c.current;
    t.equal(slot.shownState, c.want);
  });
}

t.test('the maxRestarts-th crash in the window puts the slot in crash_loop', async (t) => {
  const slot = new Slot(0);
  t.match(slot.recordCrash(0, policy), { crashLooping: false, entered: false, delayMs: 10 });
  t.notOk(slot.crashLooping);
  t.match(slot.recordCrash(1, policy), { crashLooping: true, entered: true });
  t.ok(slot.crashLooping);
});

t.test('a scheduled respawn runs once, then leaves no respawn time behind', async (t) => {
  const slot = new Slot(0);
  let respawns = 0;
  slot.scheduleRespawn(5, () => respawns++);
  t.type(slot.respawnAtMs, 'number');
  await sleep(50);
  t.equal(respawns, 1);
  t.equal(slot.respawnAtMs, null);
});

t.test('a cancelled respawn never runs', async (t) => {
  const slot = new Slot(0);
  let respawns = 0;
  slot.scheduleRespawn(5, () => respawns++);
  slot.cancelRespawn();
  t.equal(slot.respawnAtMs, null);
  await sleep(50);
  t.equal(respawns, 0);
});

t.test('a worker that stays in its slot ends the crash loop, and says so', async (t) => {
  const slot = crashLooping();
  const wp = worker('ready');
  slot.current = wp;
  const seen: boolean[] = [];
  slot.watchStability(wp, 5, (was) => seen.push(was, slot.crashLooping));
  await sleep(50);
  t.same(seen, [true, false], 'onStable learns it was looping, and the slot no longer is');
});

t.test('a worker that left its slot earns it no stability', async (t) => {
  const slot = crashLooping();
  const wp = worker('ready');
  slot.current = wp;
  let calls = 0;
  slot.watchStability(wp, 5, () => calls++);
  slot.current = worker('ready');
  await sleep(50);
  t.equal(calls, 0);
  t.ok(slot.crashLooping);
});

t.test('cancelTimers stops both the respawn and the stability watch, and is safe twice', async (t) => {
  const slot = new Slot(0);
  const wp = worker('ready');
  slot.current = wp;
  let calls = 0;
  slot.scheduleRespawn(5, () => calls++);
  slot.watchStability(wp, 5, () => calls++);
  slot.cancelTimers();
  slot.cancelTimers();
  await sleep(50);
  t.equal(calls, 0);
  t.equal(slot.respawnAtMs, null);
});
