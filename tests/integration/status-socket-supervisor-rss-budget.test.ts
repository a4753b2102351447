import t from 'tap';
import { startPropane } from '../helpers/propane.js';

/**
 * The supervisor's RSS stays under 80 MB with 8 workers (the budget
 * bench/supervisor-rss.ts measures too). Bare Node 20 is ~41 MB;
 * propane's supervisor measured ~67 MB.
 * A heavy dependency loaded eagerly (etcd3 alone is ~15 MB) fails this.
 */
const BUDGET_BYTES = 80 * 1024 * 1024;

t.test('/status reports the supervisor RSS, under 80 MB with 8 workers', async (t) => {
  const node = await startPropane(t, { workers: 8, timeoutMs: 60_000 });
  const status = await node.status();
  t.equal(status.workers.filter((w) => w.state === 'ready').length, 8);
  const rss = status.supervisor.rss_bytes;
  t.ok(Number.isInteger(rss) && rss! > 20 * 1024 * 1024, `a plausible RSS: ${String(rss)}`);
  t.ok(rss! < BUDGET_BYTES, `supervisor RSS ${(rss! / 1048576).toFixed(1)} MB < 80 MB`);
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});
