import t from 'tap';
import WebSocket from 'ws';
import { httpGet, rawConnect } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';
import { readToClose } from '../helpers/sessions.js';
import { sleep } from '../helpers/wait.js';

/** Opens a WebSocket; resolves with it once open, or with the HTTP status of a refused upgrade. */
function openWs(port: number): Promise<{ ws: WebSocket; status: 101 } | { ws: WebSocket; status: number; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ ws, status: res.statusCode ?? 0, reason: res.headers['x-arlen-backpressure-reason'] as string | undefined });
      res.resume();
    });
    ws.once('error', reject);
  });
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(String(data)));
    ws.send(text);
  });
}

t.test('WebSocket sessions count against their own limit and leave the HTTP count on upgrade', async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--max-websocket-sessions', '2', '--max-http-sessions', '2'] });
  const sockets: WebSocket[] = [];
  t.teardown(() => sockets.forEach((ws) => ws.terminate()));

  const a = await openWs(node.port);
  const b = await openWs(node.port);
  sockets.push(a.ws, b.ws);
  t.same([a.status, b.status], [101, 101], 'two upgrades within the limit succeed');
  t.equal(await echo(a.ws, 'ping-a'), 'ping-a');

  const status = await node.waitForStatus((s) => s.totals.sessions.websocket === 2 && s.totals.sessions.http === 0);
  t.same(status.totals.sessions, { http: 0, websocket: 2 }, 'both left the HTTP count and joined the WebSocket count');
  t.equal((await httpGet(node.port, '/')).status, 200, 'so the HTTP limit of 2 still admits a plain request');

  const refusedWs = await openWs(node.port);
  sockets.push(refusedWs.ws);
  t.equal(refusedWs.status, 503, 'a ws client sees its third upgrade refused');
  t.equal('reason' in refusedWs ? refusedWs.reason : undefined, 'websocket_session_limit');

  const raw = await rawConnect(node.port);
  t.teardown(() => raw.destroy());
  raw.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  const answer = await readToClose(raw);
  t.equal(answer.status, 503);
  t.equal(answer.body, 'server busy\n');
  t.equal(answer.headers['retry-after'], '1');
  t.equal(answer.headers['connection'], 'close');
  t.equal(answer.headers['x-arlen-backpressure-reason'], 'websocket_session_limit');
  t.equal(answer.closed, true, 'the socket closes after the 503');

  const counted = await node.waitForStatus((s) => s.totals.rejected.websocket_session_limit === 2);
  t.same(counted.totals.rejected, { http_session_limit: 0, websocket_session_limit: 2 });

  a.ws.close();
  let again: Awaited<ReturnType<typeof openWs>> | undefined;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    again = await openWs(node.port);
    sockets.push(again.ws);
    if (again.status === 101) break;
    await sleep(50);
  }
  t.equal(again?.status, 101, 'a closed WebSocket released its permit for a new upgrade');
  t.equal(await echo(again!.ws, 'ping-c'), 'ping-c');
  const after = await node.waitForStatus((s) => s.totals.sessions.websocket === 2);
  t.ok(after.totals.leased.websocket <= 2, 'the ledger never leased past the WebSocket limit');
});
