import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websocket.js';

t.test('a request-listener default export in an .mjs file serves every request', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('esm-request-listener.mjs'), workers: 1 });
  const res = await httpGet(node.port, '/anything?x=1');
  t.equal(res.status, 200);
  t.equal(res.body, 'listener mjs GET /anything?x=1\n');
  t.equal((await httpGet(node.port, '/healthz')).body, 'ok\n', 'built-ins still answer before the app');
});

t.test('an ESM .js object export serves its handler and its websocket', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('esm-object-with-websocket.js'), workers: 1 });
  const res = await httpGet(node.port, '/');
  t.equal(res.status, 200);
  t.equal(res.body, 'esm object js\n');
  const ws = await openWebSocket(t, node.port, '/chat');
  const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
  ws.send('hello');
  t.equal(await reply, 'got hello');
});

t.test('a .cjs module.exports object: ready() is awaited before the worker counts ready, close() while it drains', async (t) => {
  const dir = tempDir(t);
  const gate = join(dir, 'ready-gate');
  const marker = join(dir, 'closed');
  const node = await startPropane(t, { app: fixtureApp('awaits-ready-and-close.cjs'), workers: 1, waitFor: 'nothing', env: { READY_GATE_FILE: gate, CLOSE_MARKER_FILE: marker } });
  await node.waitForEvent('worker_forked');
  await sleep(1000);
  const before = await node.status();
  t.equal(before.workers[0]?.state, 'starting', 'not ready while ready() is pending');
  t.notOk(node.logs.some((l) => l.event === 'worker_ready' || l.event === 'listening'), 'no worker_ready, no listening yet');

  writeFileSync(gate, '');
  await node.waitForEvent('listening');
  const after = await node.waitForStatus((s) => s.workers[0]?.state === 'ready');
  const workerPid = after.workers[0]!.pid;
  t.equal((await httpGet(node.port, '/')).body, 'object cjs ready=true\n');

  t.notOk(existsSync(marker), 'close() has not run while serving');
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
  t.equal(readFileSync(marker, 'utf8'), `closed ${String(workerPid)}\n`, 'close() ran to its end: the worker waited for it');
});

for (const c of [
  { fixture: 'throws-at-load.cjs', phase: 'load', message: 'cannot load: missing DATABASE_URL' },
  { fixture: 'ready-rejects.mjs', phase: 'ready', message: 'not ready: cache unreachable' },
]) {
  t.test(`a module that fails to ${c.phase} is a boot failure with its error in the logs and in /status last_exit`, async (t) => {
    const node = await startPropane(t, { app: fixtureApp(c.fixture), workers: 1, waitFor: 'nothing', args: ['--respawn-delay-ms', '60000'] });
    const fromWorker = await node.waitForLog((l) => l.event === 'worker_boot_failed' && l.role === 'worker');
    t.match(fromWorker, { phase: c.phase, error_code: 'PROPANE_ERR_APP_LOAD', slot: 0, err: { message: c.message } });
    const fromSupervisor = await node.waitForLog((l) => l.event === 'worker_boot_failed' && l.role === 'supervisor');
    t.match(fromSupervisor, { phase: c.phase, error: c.message, slot: 0 });
    const status = await node.waitForStatus((s) => s.workers[0]?.last_exit !== null);
    t.match(status.workers[0], { slot: 0, pid: null, state: 'exited', last_exit: { code: 1, signal: null, cause: 'boot_failure', error: `${c.phase}: ${c.message}` } });
    t.equal(status.supervisor.state, 'running', 'the supervisor keeps running and answering');
    t.notOk(node.logs.some((l) => l.event === 'listening'), 'never listening');
    const stopped = await node.stop();
    t.equal(stopped.code, 0);
    t.same(stopped.leftovers, []);
  });
}
