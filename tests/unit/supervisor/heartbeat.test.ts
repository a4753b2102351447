import t from 'tap';
import { heartbeatIntervalMs, isHung, Ticker } from '../../../supervisor/heartbeat.js';

for (const c of [
  { name: 'heartbeats once a second with the default 30 s timeout', timeout: 30, want: 1_000 },
  { name: 'heartbeats four times per timeout when it is short', timeout: 2, want: 500 },
  { name: 'never heartbeats faster than every 50 ms', timeout: 0.1, want: 50 },
]) t.test(c.name, async (t) => t.equal(heartbeatIntervalMs(c.timeout), c.want));

for (const c of [
  { name: 'a worker that answered just now is not hung', lastAck: 10_000, now: 10_000, timeout: 1, want: false },
  { name: 'a worker silent exactly the timeout is not hung yet', lastAck: 0, now: 1_000, timeout: 1, want: false },
  { name: 'a worker silent past the timeout is hung', lastAck: 0, now: 1_001, timeout: 1, want: true },
  { name: 'the timeout is in seconds', lastAck: 0, now: 29_999, timeout: 30, want: false },
]) t.test(c.name, async (t) => t.equal(isHung(c.lastAck, c.now, c.timeout), c.want));

t.test('Ticker ticks until closed, and close is safe twice', async (t) => {
  const ticker = new Ticker();
  let ticks = 0;
  ticker.start(10, () => ticks++);
  ticker.start(10, () => (ticks += 100)); // a second start keeps the first timer
  await new Promise((r) => setTimeout(r, 60));
  ticker.close();
  ticker.close();
  const seen = ticks;
  t.ok(seen >= 1 && seen < 100, `ticked ${seen} times on one timer`);
  await new Promise((r) => setTimeout(r, 40));
  t.equal(ticks, seen, 'no tick after close');
});
