import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';

// The drain of an old worker in a reload (docs/operations.md): in-flight
// requests are answered with Connection: close, the drain lasts at most
// gracefulShutdownSeconds, and a worker that will not exit is killed.

t.test('a request in flight on the old worker during a reload is answered, with Connection: close', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 10 } }, env: WORKER_PID_HEADERS });
  const [old] = await node.readyWorkerPids();
  const inflight = httpGet(node.port, '/slow?ms=2500', { timeoutMs: 20_000 });
  await node.waitForStatus((s) => s.totals.sessions.http === 1, 10_000);
  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  const res = await inflight;
  t.equal(res.status, 200);
  t.equal(res.body, 'slept 2500 ms\n');
  t.equal(res.headers.connection, 'close');
  t.equal(res.headers['x-arlen-worker-pid'], String(old), 'the old worker answered it');
  t.same(await waitGone([old!], 5_000), []);
});

t.test('a request longer than gracefulShutdownSeconds is cut when the drain ends, and the reload completes', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 1 } } });
  const [old] = await node.readyWorkerPids();
  const inflight = httpGet(node.port, '/slow?ms=30000', { timeoutMs: 40_000 }).then(
    (r) => `answered ${r.status}`,
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
  await node.waitForStatus((s) => s.totals.sessions.http === 1, 10_000);
  const started = Date.now();
  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  t.equal(await inflight, 'ECONNRESET', 'the request outliving the grace period is cut');
  t.ok(Date.now() - started < 15_000, 'the reload did not wait for the 30 s request');
  const exit = node.logs.find((l) => l.event === 'worker_exit' && l.worker_pid === old);
  t.match(exit, { code: 0, cause: 'planned' }, 'the old worker exited by itself after its grace period');
});

t.test('an old worker whose app never finishes close() is SIGKILLed after the grace period and a margin', async (t) => {
  const app = tempFile(t, 'app.cjs', `module.exports = { handler: (req, res) => res.end('ok\\n'), close: () => new Promise(() => {}) };\n`);
  const node = await startPropane(t, { app, workers: 1, config: { propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 1 } } });
  const [old] = await node.readyWorkerPids();
  const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  t.same(await waitGone([old!], 1_000), [], 'the reload completed only once the old worker was gone');
  const killed = node.logs.find((l) => l.event === 'worker_killed' && l.worker_pid === old);
  t.match(killed, { reason: 'reload', grace_ms: 1000 }, 'worker_killed is logged');
  const exit = node.logs.find((l) => l.event === 'worker_exit' && l.worker_pid === old);
  t.match(exit, { code: null, signal: 'SIGKILL', cause: 'planned' });
  t.equal((await httpGet(node.port, '/')).body, 'ok\n', 'the replacement serves');
});
