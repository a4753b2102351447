import t from 'tap';
import { MIN_BACKOFF_BASE_MS, NO_CRASHES, recordExit, type CrashHistory, type RespawnPolicy } from '../../../supervisor/crash-loop.js';

const defaults: RespawnPolicy = { respawnDelayMs: 250, maxRestarts: 5, windowSeconds: 60, maxBackoffSeconds: 30, stableSeconds: 30 };
const at = (...exitsMs: number[]): CrashHistory => ({ exitsMs, backoffStep: 0 });
const looping = (backoffStep: number, ...exitsMs: number[]): CrashHistory => ({ exitsMs, backoffStep });

/** Feeds `n` exits `everyMs` apart into a fresh history; returns every decision's delay. */
function delays(n: number, everyMs: number, p: RespawnPolicy = defaults): number[] {
  let h = NO_CRASHES;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = recordExit(h, i * everyMs, p);
    h = d.history;
    out.push(d.delayMs);
  }
  return out;
}

for (const c of [
  { name: 'the first exit waits respawnDelayMs and is no crash loop', history: NO_CRASHES, now: 1_000, delay: 250, looping: false, entered: false },
  { name: 'fewer than maxRestarts exits in the window wait respawnDelayMs', history: at(0, 100, 200), now: 300, delay: 250, looping: false, entered: false },
  { name: 'the maxRestarts-th exit in the window enters crash_loop at twice respawnDelayMs', history: at(0, 100, 200, 300), now: 400, delay: 500, looping: true, entered: true },
  { name: 'exits older than windowSeconds do not count', history: at(0, 100, 200, 300), now: 60_100, delay: 250, looping: false, entered: false },
  { name: 'each further exit while crash-looping doubles the delay', history: looping(3, 0), now: 10_000, delay: 4_000, looping: true, entered: false },
  { name: 'the delay is capped at maxBackoffSeconds', history: looping(12, 0), now: 10_000, delay: 30_000, looping: true, entered: false },
  { name: 'a crash loop goes on although the window holds few exits, so backoff never restarts from fast', history: looping(7), now: 500_000, delay: 30_000, looping: true, entered: false },
  { name: 'an absurd step stays capped, not Infinity', history: looping(5_000), now: 0, delay: 30_000, looping: true, entered: false },
  { name: 'respawnDelayMs 0 respawns at once below the threshold', history: at(0), now: 1, delay: 0, looping: false, entered: false, p: { ...defaults, respawnDelayMs: 0 } },
  { name: 'respawnDelayMs 0 still backs off from a floor once crash-looping', history: at(0, 1, 2, 3), now: 4, delay: MIN_BACKOFF_BASE_MS * 2, looping: true, entered: true, p: { ...defaults, respawnDelayMs: 0 } },
  { name: 'maxRestarts 1 enters crash_loop on the first exit', history: NO_CRASHES, now: 0, delay: 500, looping: true, entered: true, p: { ...defaults, maxRestarts: 1 } },
  { name: 'a respawnDelayMs above maxBackoffSeconds is never shortened by the backoff', history: looping(1), now: 0, delay: 60_000, looping: true, entered: false, p: { ...defaults, respawnDelayMs: 60_000 } },
]) {
  t.test(c.name, async (t) => {
    const d = recordExit(c.history, c.now, c.p ?? defaults);
    t.equal(d.delayMs, c.delay);
    t.equal(d.crashLooping, c.looping);
    t.equal(d.entered, c.entered);
    t.equal(d.history.exitsMs.at(-1), c.now, 'the exit is recorded');
  });
}

t.test('with the defaults, a slot that crashes at once backs off 250 x4, then 0.5 s doubling to 30 s', async (t) => {
  t.same(delays(14, 0), [250, 250, 250, 250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
});

t.test('exits spread wider than the window never make a crash loop', async (t) => {
  t.same(delays(10, 15_000), Array(10).fill(250));
});

t.test('recordExit does not mutate the history it is given', async (t) => {
  const h = at(0, 1);
  recordExit(h, 2, defaults);
  t.same(h, at(0, 1));
});
