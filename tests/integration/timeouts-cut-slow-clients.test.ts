import type { Socket } from 'node:net';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet, isCompleteResponse, parseRawResponse, rawConnect, rawGet, readUntil, statusOf, type RawResponse } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { pollUntil, within } from '../helpers/wait.js';

const SHORT = { timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 1, writeSeconds: 1 } };

/** Resolves true when the socket closes within timeoutMs. */
async function closesWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  return socket.destroyed || (await within(new Promise<true>((r) => socket.once('close', () => r(true))), timeoutMs)) === true;
}

/** Sends `bytes` on a fresh connection and reads the answer that cuts it; `closed` says whether the worker then closed the socket within 4 s. */
async function cutAnswer(t: { teardown(fn: () => void): void }, port: number, bytes: string): Promise<RawResponse & { closed: boolean }> {
  const s = await rawConnect(port);
  t.teardown(() => s.destroy());
  s.write(bytes);
  const res = parseRawResponse(await readUntil(s, isCompleteResponse, 5_000));
  return { ...res, closed: await closesWithin(s, 4_000) };
}

t.test('the timeout defaults are 10/30/5/30 (and 10 for TLS handshakes) and the ARLEN_* variables set them', async (t) => {
  const defaults = await runCli(['config', '--json']);
  t.equal(defaults.code, 0, defaults.stderr);
  t.same(JSON.parse(defaults.stdout).timeouts, { headerSeconds: 10, bodySeconds: 30, idleSeconds: 5, writeSeconds: 30, handshakeSeconds: 10 });
  const env = {
    ARLEN_HEADER_TIMEOUT_SECONDS: '2',
    ARLEN_BODY_TIMEOUT_SECONDS: '3',
    ARLEN_IDLE_TIMEOUT_SECONDS: '4',
    ARLEN_WRITE_TIMEOUT_SECONDS: '6',
  };
  const set = await runCli(['config', '--json'], { env });
  t.equal(set.code, 0, set.stderr);
  t.same(JSON.parse(set.stdout).timeouts, { headerSeconds: 2, bodySeconds: 3, idleSeconds: 4, writeSeconds: 6, handshakeSeconds: 10 });
});

t.test('slow headers, slow bodies, idle keep-alives and stalled readers are cut, logged and counted', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('streams-large-body.cjs'), workers: 1, config: SHORT });

  t.test('headers not complete within headerSeconds get 408 with reason header, then the socket closes', async (t) => {
    const res = await cutAnswer(t, node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    t.equal(res.status, 408);
    t.equal(res.headers['x-arlen-timeout-reason'], 'header');
    t.equal(res.headers.connection, 'close');
    t.match(res.headers['x-request-id'], /^[0-9a-f]{32}$/, 'no request was parsed: the 408 carries a fresh id');
    t.equal(res.headers['x-correlation-id'], res.headers['x-request-id']);
    t.match(res.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/, 'and a new trace');
    t.equal(res.headers['x-trace-id'], String(res.headers.traceparent).slice(3, 35));
    t.equal(res.headers['x-arlen-cluster'], undefined, 'no cluster headers on a single node by default');
    t.equal(res.body, 'request timeout\n');
    t.ok(res.closed, 'the worker closes the socket after the 408');
  });

  t.test('a second request on a keep-alive connection gets its own header clock', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    t.equal(statusOf(await rawGet(s, '/')), 200);
    s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const res = parseRawResponse(await readUntil(s, isCompleteResponse, 5_000));
    t.equal(res.status, 408);
    t.equal(res.headers['x-arlen-timeout-reason'], 'header');
  });

  t.test('a body not complete within bodySeconds gets 408 with reason body, then the socket closes', async (t) => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    const res = await cutAnswer(t, node.port, `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: slow-body-1\r\ntraceparent: 00-${trace}-b7ad6b7169203331-01\r\nContent-Length: 100\r\n\r\nonly ten..`);
    t.equal(res.status, 408);
    t.equal(res.headers['x-arlen-timeout-reason'], 'body');
    t.equal(res.headers['x-request-id'], 'slow-body-1', 'the request was parsed: the 408 carries its id');
    t.equal(res.headers['x-correlation-id'], 'slow-body-1');
    t.match(res.headers.traceparent, new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`), 'and continues its trace');
    t.equal(res.headers.connection, 'close');
    t.equal(res.body, 'request timeout\n');
    t.ok(res.closed, 'the worker closes the socket after the 408');
  });

  t.test('a body still dribbling after the app answered is cut after bodySeconds, with no 408 after the answer', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx');
    const dribble = setInterval(() => s.writable && s.write('x'), 200);
    t.teardown(() => clearInterval(dribble));
    const text = await readUntil(s, () => false, 6_000);
    t.ok(s.destroyed || s.readableEnded, 'the worker closed the connection');
    t.equal(statusOf(text), 200, 'the app answered');
    t.notMatch(text, /408 Request Timeout/, 'no 408 follows a finished answer');
  });

  t.test('an idle keep-alive connection is closed after idleSeconds without a response', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    const first = await rawGet(s, '/');
    t.equal(statusOf(first), 200);
    const after = await readUntil(s, () => false, 5_000);
    t.ok(s.destroyed || s.readableEnded, 'the idle connection was closed');
    t.equal(after, '', 'nothing is written to an idle connection before it closes');
  });

  t.test('a client that stops reading a large response is cut after writeSeconds', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.pause();
    const from = node.logs.length;
    s.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const line = await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'write', 8_000, from);
    t.equal(line.reason, 'write');
    let received = 0;
    s.on('data', (c: Buffer) => (received += c.length));
    s.resume();
    t.ok(await closesWithin(s, 8_000), 'the connection ends once the buffered bytes are read');
    t.ok(received < 32 * 1024 * 1024, `the client got ${received} bytes, less than the full 32 MiB body`);
  });

  t.test('every cut is logged as a timeout event and counted by reason node-wide', async (t) => {
    for (const reason of ['header', 'body', 'idle', 'write']) {
      t.ok(node.logs.some((l) => l.event === 'timeout' && l.reason === reason), `a timeout event with reason ${reason} was logged`);
      const counted = await pollUntil(() => node.metrics(), (e) => (valueOf(e, 'propane_timeouts_total', { reason }) ?? 0) >= 1, 10_000);
      t.ok((valueOf(counted, 'propane_timeouts_total', { reason }) ?? 0) >= 1, `propane_timeouts_total{reason="${reason}"} counts it`);
    }
    const res = await httpGet(node.port, '/');
    t.equal(res.status, 200, 'the worker keeps serving');
  });
});
