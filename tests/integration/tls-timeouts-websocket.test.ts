import type { TLSSocket } from 'node:tls';
import t from 'tap';
import type WebSocket from 'ws';
import { makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { isCompleteResponse, parseRawResponse, rawGet, readUntil, statusOf, type RawResponse } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { contractView, expectedResponse } from '../helpers/runtime-hardening.js';
import { httpsGet, openSecureWebSocket, tlsConnect } from '../helpers/tls-client.js';
import { pollUntil, within } from '../helpers/wait.js';

// The timeouts and the WebSocket rules of docs/endpoints.md hold over TLS (docs/tls.md): the 408s
// arrive encrypted, idle and stalled connections are cut, WSS peers are pinged, cut when they miss
// the pong, and closed with 1009 past maxPayloadBytes. None of it counts as a handshake timeout.

const SHORT = { headerSeconds: 1, bodySeconds: 1, idleSeconds: 1, writeSeconds: 1, handshakeSeconds: 5 };
const MAX_PAYLOAD = 1024;

function closesWithin(socket: TLSSocket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return within(new Promise<true>((r) => socket.once('close', () => r(true))), timeoutMs).then((v) => v === true);
}

function wsClosed(ws: WebSocket, timeoutMs: number): Promise<number | null> {
  return within(new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))), timeoutMs);
}

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  t.test('over HTTPS, slow headers and bodies get the 408, idle and stalled connections are cut, each counted by reason', async (t) => {
    const node = await startPropane(t, { app: fixtureApp('streams-large-body.cjs'), workers: 1, config: { tls: tlsConfig(certs.server), timeouts: SHORT } });
    const connect = async (): Promise<TLSSocket> => {
      const s = await tlsConnect(node.port, { ca });
      t.teardown(() => s.destroy());
      return s;
    };
    const cutAnswer = async (bytes: string): Promise<RawResponse & { closed: boolean }> => {
      const s = await connect();
      s.write(bytes);
      const res = parseRawResponse(await readUntil(s, isCompleteResponse, 5_000));
      return { ...res, closed: await closesWithin(s, 4_000) };
    };

    const header = await cutAnswer('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const header408 = expectedResponse('header_timeout_408');
    t.same(contractView(header, header408), header408, 'headers not complete within headerSeconds: the exact 408');
    t.match(header.headers['x-request-id'], /^[0-9a-f]{32}$/);
    t.ok(header.closed, 'the TLS connection is closed after the 408');

    const body = await cutAnswer('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: tls-slow-body\r\nContent-Length: 100\r\n\r\nonly ten..');
    const body408 = expectedResponse('body_timeout_408');
    t.same(contractView(body, body408), body408, 'a body not complete within bodySeconds: the exact 408');
    t.equal(body.headers['x-request-id'], 'tls-slow-body', 'the request was parsed: the 408 carries its id');
    t.ok(body.closed);

    const idle = await connect();
    t.equal(statusOf(await rawGet(idle, '/')), 200);
    t.equal(await readUntil(idle, () => false, 5_000), '', 'nothing is written to an idle keep-alive connection');
    t.ok(idle.destroyed || idle.readableEnded, 'it is closed after idleSeconds');

    const stalled = await connect();
    stalled.pause();
    const from = node.logs.length;
    stalled.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'write', 10_000, from);
    let received = 0;
    stalled.on('data', (c: Buffer) => (received += c.length));
    stalled.resume();
    t.ok(await closesWithin(stalled, 10_000), 'a client that stops reading is cut after writeSeconds');
    t.ok(received < 32 * 1024 * 1024, `it got ${received} bytes, less than the 32 MiB body`);

    const m = await pollUntil(() => node.metrics(), (e) => ['header', 'body', 'idle', 'write'].every((reason) => (valueOf(e, 'propane_timeouts_total', { reason }) ?? 0) >= 1), 10_000);
    for (const reason of ['header', 'body', 'idle', 'write']) t.ok((valueOf(m, 'propane_timeouts_total', { reason }) ?? 0) >= 1, `propane_timeouts_total{reason="${reason}"} counts it`);
    t.equal(valueOf(m, 'propane_timeouts_total', { reason: 'handshake' }), 0, 'every handshake completed: no handshake timeout');
    t.equal((await httpsGet(node.port, '/', { ca })).status, 200, 'the worker keeps serving');
    await node.waitForStatus((s) => s.totals.sessions.http === 0, 10_000);
  });

  t.test('over WSS, peers are pinged, one that misses the pong is cut, and a message over maxPayloadBytes closes with 1009', async (t) => {
    const node = await startPropane(t, { workers: 1, config: { tls: tlsConfig(certs.server), websocket: { maxPayloadBytes: MAX_PAYLOAD, pingIntervalSeconds: 1, pongTimeoutSeconds: 1 } } });

    const live = await openSecureWebSocket(t, node.port, ca);
    let pings = 0;
    live.on('ping', () => pings++);
    const echoed = new Promise<string>((resolve) => live.once('message', (d: Buffer) => resolve(d.toString())));
    live.send('over wss');
    t.equal(await echoed, 'over wss', 'the app echoes over WSS');
    t.equal(await wsClosed(live, 3_500), null, 'a peer that answers the pings stays open past pongTimeoutSeconds');
    t.ok(pings >= 2, `it was pinged ${pings} times in 3.5 s`);

    const from = node.logs.length;
    const silent = await openSecureWebSocket(t, node.port, ca, '/ws', { autoPong: false });
    t.equal(await wsClosed(silent, 8_000), 1006, 'a peer that misses the pong is terminated without a close handshake');
    await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'pong', 5_000, from);

    const big = await openSecureWebSocket(t, node.port, ca);
    const closed = wsClosed(big, 5_000);
    big.send(Buffer.alloc(MAX_PAYLOAD + 1, 1));
    t.equal(await closed, 1009, 'a message over maxPayloadBytes closes with 1009');

    live.close();
    const s = await node.waitForStatus((st) => st.totals.sessions.websocket === 0 && st.totals.sessions.http === 0, 10_000);
    t.same(s.totals.sessions, { http: 0, websocket: 0 }, 'every session released');
    // Counters reach the supervisor with the workers' heartbeat answers.
    const m = await pollUntil(() => node.metrics(), (e) => valueOf(e, 'propane_timeouts_total', { reason: 'pong' }) === 1, 10_000);
    t.equal(valueOf(m, 'propane_timeouts_total', { reason: 'pong' }), 1, 'the missed pong is counted');
    t.equal(valueOf(m, 'propane_timeouts_total', { reason: 'handshake' }), 0);
  });
}
