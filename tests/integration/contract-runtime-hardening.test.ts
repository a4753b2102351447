import t from 'tap';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { isCompleteResponse, parseRawResponse, rawConnect, readUntil } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { contractView, expectedResponse } from '../helpers/runtime-hardening.js';
import { tempFile } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websocket.js';

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

type Expected = ReturnType<typeof expectedResponse>;

/** Sends `bytes` on a fresh connection (closed by `t`'s teardown) and returns the parts of the answer the contract fixes. */
async function answerTo(t: { teardown(fn: () => void): void }, port: number, bytes: string, expected: Expected): Promise<Expected> {
  const s = await rawConnect(port);
  t.teardown(() => s.destroy());
  s.write(bytes);
  return contractView(parseRawResponse(await readUntil(s, isCompleteResponse)), expected);
}

t.test('session limits answer with the exact 503 shapes of the contract fixture', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { runtimeLimits: { maxConcurrentHTTPSessions: 1, maxConcurrentWebSocketSessions: 1 } } });

  t.test('a WebSocket upgrade over its limit gets the exact 503 of the contract fixture', async (t) => {
    await openWebSocket(t, node.port);
    await node.waitForStatus((s) => s.totals.sessions.websocket === 1 && s.totals.sessions.http === 0);
    const expected = expectedResponse('websocket_session_limit_503');
    t.same(await answerTo(t, node.port, UPGRADE, expected), expected);
  });

  t.test('an HTTP session over the node-wide limit gets the exact 503 of the contract fixture', async (t) => {
    const held = await rawConnect(node.port);
    t.teardown(() => held.destroy());
    await node.waitForStatus((s) => s.totals.sessions.http === 1);
    const expected = expectedResponse('http_session_limit_503');
    t.same(await answerTo(t, node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', expected), expected);
  });
});

t.test('timeouts answer with the exact 408 shapes of the contract fixture', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { timeouts: { headerSeconds: 1, bodySeconds: 1 } } });

  t.test('headers not complete within headerSeconds get the exact 408 of the contract fixture', async (t) => {
    const expected = expectedResponse('header_timeout_408');
    t.same(await answerTo(t, node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', expected), expected);
  });

  t.test('a body not complete within bodySeconds gets the exact 408 of the contract fixture', async (t) => {
    const expected = expectedResponse('body_timeout_408');
    t.same(await answerTo(t, node.port, 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc', expected), expected);
  });
});

t.test('crash-looping slots back off, show crash_loop in /status and /metrics, and the status socket keeps answering', async (t) => {
  const mode = tempFile(t, 'mode', 'crash');
  const node = await startPropane(t, {
    app: fixtureApp('crashes-at-boot-on-demand.cjs'),
    workers: 2,
    env: { BOOT_MODE_FILE: mode },
    waitFor: 'nothing',
    config: { propane: { respawnDelayMs: 50, crashLoop: { maxRestarts: 2, windowSeconds: 30, maxBackoffSeconds: 2, stableSeconds: 30 } } },
  });
  const looping = await node.waitForStatus((s) => s.workers.length === 2 && s.workers.every((w) => w.state === 'crash_loop'), 20_000);
  t.same(looping.workers.map((w) => w.last_exit?.cause), ['boot_failure', 'boot_failure']);
  t.equal(looping.supervisor.state, 'running', 'the supervisor keeps running with no worker ever ready');

  await sleep(2_000);
  let answered = 0;
  for (let i = 0; i < 10; i++) if ((await callStatusSocket(node.socket, 'GET', '/status', 5_000)).status === 200) answered++;
  t.equal(answered, 10, 'the status socket answers while every slot crash-loops');
  const metrics = await node.metrics();
  t.equal(valueOf(metrics, 'propane_crash_loop_slots'), 2);
  t.equal(valueOf(metrics, 'propane_workers', { state: 'ready' }), 0);
  for (const slot of [0, 1]) {
    const delays = node.logs.filter((l) => l.event === 'worker_respawn_scheduled' && l.slot === slot).map((l) => l.delay_ms as number);
    t.ok(delays.length >= 2 && delays.every((d, i) => i === 0 || d >= delays[i - 1]!), `slot ${slot}: respawn delays never shrink (${delays.join(', ')} ms)`);
    t.ok(delays.at(-1)! > 50 && delays.every((d) => d <= 2_000), `slot ${slot}: they back off past respawnDelayMs, capped at maxBackoffSeconds`);
  }
  t.ok(node.forkedPids.length <= 20, `backoff bounds the respawns (${node.forkedPids.length} forks for 2 slots)`);
  for (const slot of [0, 1]) t.equal(node.logs.filter((l) => l.event === 'crash_loop' && l.slot === slot).length, 1, `crash_loop is logged once for slot ${slot}`);
  t.match(node.logs.find((l) => l.event === 'crash_loop'), { pid: node.pid, exits_in_window: Number, backoff_ms: Number });
  t.equal(node.logs.filter((l) => l.event === 'listening').length, 0, 'the node never claimed to serve');
  t.equal((await node.stop()).code, 0);
});
