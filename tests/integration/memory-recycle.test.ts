import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp, startPropane, waitGone } from '../helpers/propane.js';

// SPEC section 6: "with maxWorkerMemoryMB, a worker over it is replaced
// gracefully, the replacement ready before the old one drains."

t.test('a worker whose RSS stays over maxWorkerMemoryMB is replaced: replacement ready first, then the old one drains', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('i4-hog.cjs'), workers: 1, config: { propane: { maxWorkerMemoryMB: 200, reloadOverlapSeconds: 0.2 } } });
  const [old] = await node.readyWorkerPids();
  const from = node.logs.length;
  t.equal((await httpGet(node.port, '/hog?mb=250')).status, 200);
  // In flight on the old worker while it is replaced: it is answered, with Connection: close.
  const inflight = httpGet(node.port, '/slow?ms=4000', { timeoutMs: 20_000 });

  const recycled = await node.waitForEvent('worker_recycled', 15_000, from);
  t.equal(recycled.worker_pid, old);
  t.equal(recycled.limit_mb, 200);
  t.ok((recycled.rss_bytes as number) > 200 * 1024 * 1024, `logged with rss_bytes ${String(recycled.rss_bytes)}`);

  const oldExit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === old, 20_000, from);
  t.match(oldExit, { code: 0, signal: null, cause: 'planned' }, 'the old worker drained and exited 0');
  const lines = node.logs.slice(from);
  const readyAt = lines.findIndex((l) => l.event === 'worker_ready' && l.pid === node.pid && l.worker_pid !== old);
  const drainAt = lines.findIndex((l) => l.event === 'worker_draining' && l.pid === old);
  t.ok(readyAt >= 0 && drainAt > readyAt, 'the replacement was ready before the old worker began to drain');

  const res = await inflight;
  t.equal(res.status, 200);
  t.equal(res.body, 'slow done\n');
  t.equal(res.headers.connection, 'close');
  t.same(await waitGone([old!], 5_000), []);
  const status = await node.status();
  t.equal(status.workers.length, 1);
  t.equal(status.workers[0]?.state, 'ready');
  t.not(status.workers[0]?.pid, old);
  t.equal(status.workers[0]?.restarts, 0, 'a planned replacement is no restart');
  t.match((await httpGet(node.port, '/')).body, /^ok from \d+\n$/);
});
