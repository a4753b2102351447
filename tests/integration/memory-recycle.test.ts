import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { tempFile } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

// Bloated workers (docs/operations.md): with maxWorkerMemoryMB, a worker over
// it is replaced gracefully, the replacement ready before the old one drains.

// Under reuse_port the replacement accepts on the very socket the old worker used (docs/scheduling.md).
for (const policy of ['none', 'reuse_port'] as const) {
  t.test(`a worker whose RSS stays over maxWorkerMemoryMB is replaced: replacement ready first, then the old one drains (scheduling ${policy})`, { skip: policy === 'reuse_port' ? REUSE_PORT_SKIP : false }, async (t) => {
    const node = await startPropane(t, { app: fixtureApp('hogs-memory.cjs'), workers: 1, args: ['--scheduling-policy', policy], config: { propane: { maxWorkerMemoryMB: 200, reloadOverlapSeconds: 0.2 } } });
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
}

t.test('when the replacement of a bloated worker fails, the old one keeps serving and the recycle is not retried at every heartbeat', async (t) => {
  const app = tempFile(t, 'app.cjs', readFileSync(fixtureApp('hogs-memory.cjs'), 'utf8'));
  const node = await startPropane(t, { app, workers: 1, config: { propane: { maxWorkerMemoryMB: 200, crashLoop: { maxBackoffSeconds: 30 } } } });
  const [old] = await node.readyWorkerPids();
  writeFileSync(app, `throw new Error('the new code is broken');\n`);
  const from = node.logs.length;
  t.equal((await httpGet(node.port, '/hog?mb=250')).status, 200);

  const failed = await node.waitForLog((l) => l.event === 'worker_recycled' && typeof l.failure === 'string', 20_000, from);
  t.match(failed, { worker_pid: old, retry_in_ms: 30_000 });
  t.match(failed.failure, /^slot 0: replacement pid \d+ load failed: the new code is broken$/);
  await sleep(3_000);
  t.equal(node.logs.slice(from).filter((l) => l.event === 'worker_forked').length, 1, 'one replacement tried, not one per heartbeat');
  t.same(await node.readyWorkerPids(), [old], 'the old worker keeps the slot');
  t.equal((await httpGet(node.port, '/')).body, `ok from ${String(old)}\n`);
});
