import type { Socket } from 'node:net';
import t from 'tap';
import { httpGet, isCompleteResponse, rawConnect, readUntil, statusOf } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { closeAll, openSession, readToClose } from '../helpers/sessions.js';

t.test('a session over the HTTP limit gets the exact 503, its socket closes, and no app code runs', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('counts-calls.cjs'), workers: 1, args: ['--max-http-sessions', '1'] });
  const held = await openSession(node.port);
  t.teardown(() => held.socket.destroy());
  t.equal(held.status, 200);

  const answers = [];
  const sockets: Socket[] = [];
  t.teardown(() => closeAll(sockets));
  for (let i = 0; i < 5; i++) {
    const s = await rawConnect(node.port);
    sockets.push(s);
    s.write(`GET /refused-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    answers.push(await readToClose(s));
  }
  for (const a of answers) {
    t.equal(a.status, 503);
    t.equal(a.body, 'server busy\n');
    t.equal(a.headers['retry-after'], '1');
    t.equal(a.headers['connection'], 'close');
    t.equal(a.headers['x-arlen-backpressure-reason'], 'http_session_limit');
    t.equal(a.headers['content-length'], '12');
    t.equal(a.closed, true, 'the server closed the socket after the write');
  }

  held.socket.destroy();
  const status = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === 5 && s.totals.sessions.http === 0);
  t.same(status.totals.rejected, { http_session_limit: 5, websocket_session_limit: 0 });
  const calls = await httpGet(node.port, '/calls');
  t.equal(calls.body, 'calls 2\n', 'the app ran for the held session and this one, never for the 5 refused');
});

t.test('a refused client that never sends a request is closed, with no answer, soon after the header timeout', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--max-http-sessions', '1'], config: { timeouts: { headerSeconds: 1 } } });
  const held = await openSession(node.port);
  t.teardown(() => held.socket.destroy());
  const silent = await rawConnect(node.port);
  t.teardown(() => silent.destroy());
  const answer = await readToClose(silent, 10_000);
  t.equal(answer.closed, true, 'closed within 10 s (header timeout 1 s plus the linger)');
  t.equal(answer.status, 0, 'no bytes to a client that asked nothing');
});

/** One worker at a limit of 1 with its session held, and a fresh connection that it refuses. */
async function refusedConnection(t: Parameters<typeof startPropane>[0], config?: Record<string, unknown>): Promise<{ s: Socket; held: Socket }> {
  const node = await startPropane(t, { workers: 1, args: ['--max-http-sessions', '1'], ...(config ? { config } : {}) });
  const held = (await openSession(node.port)).socket;
  t.teardown(() => held.destroy());
  const s = await rawConnect(node.port);
  t.teardown(() => s.destroy());
  return { s, held };
}

t.test('the 503 is these exact bytes, with the refused request’s own id and trace', async (t) => {
  const { s } = await refusedConnection(t);
  s.write('GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id:  abc-123 \r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n');
  const raw = await readUntil(s, () => false);
  const shape = new RegExp(
    [
      'HTTP/1\\.1 503 Service Unavailable',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Length: 12',
      'Retry-After: 1',
      'X-Arlen-Backpressure-Reason: http_session_limit',
      'X-Request-Id: abc-123',
      'X-Correlation-Id: abc-123',
      'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-(?<span>[0-9a-f]{16})-01',
      'X-Trace-Id: 4bf92f3577b34da6a3ce929d0e0e4736',
      'Date: ([A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT)',
      'Connection: close',
      '',
      'server busy\\n',
    ].join('\\r\\n') + '$',
  );
  const m = shape.exec(raw);
  t.ok(m, `the exact bytes: ${JSON.stringify(raw)}`);
  t.not(m?.groups?.span, '00f067aa0ba902b7', 'a new span of the inbound trace');
});

t.test('a refused request whose body is still coming gets the 503 and a clean close, never a reset', async (t) => {
  const { s, held } = await refusedConnection(t);
  let error: Error | null = null;
  s.on('error', (err) => (error = err));
  const chunk = 'x'.repeat(64 * 1024);
  s.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${chunk.length * 256}\r\n\r\n${chunk}`);
  const answer = await readUntil(s, isCompleteResponse);
  t.equal(statusOf(answer), 503, 'answered once the head was in');
  // 16 MiB in all: more than the socket buffers on both sides hold, so the client finishes only if the server reads it.
  for (let i = 0; i < 255; i++) s.write(chunk);
  s.end();
  const closed = await readToClose(s);
  t.equal(closed.closed, true, 'the server closed once the client did');
  t.equal(error, null, 'no ECONNRESET: the rest of the body was read and dropped');
  t.equal(held.destroyed, false, 'the admitted session is untouched');
});

t.test('a refused client whose head passes 16 KiB gets the 503 with a fresh id, and a clean close, never a reset', async (t) => {
  const { s, held } = await refusedConnection(t);
  let error: Error | null = null;
  s.on('error', (err) => (error = err));
  s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: never-read\r\nX-Filler: ${'f'.repeat(20 * 1024)}\r\n`);
  const answer = await readUntil(s, isCompleteResponse);
  t.equal(statusOf(answer), 503, 'answered without waiting for the rest of the head');
  t.match(answer, /\r\nX-Arlen-Backpressure-Reason: http_session_limit\r\n/);
  t.match(answer, /\r\nX-Request-Id: [0-9a-f]{32}\r\n/, 'a fresh id: the head was not read to its end');
  t.match(answer, /\r\n\r\nserver busy\n$/);
  s.end('X-More: still sending\r\n\r\n');
  const closed = await readToClose(s);
  t.equal(closed.closed, true, 'the server closed once the client did');
  t.equal(error, null, 'no ECONNRESET: what it sent after the answer was read and dropped');
  t.equal(held.destroyed, false, 'the admitted session is untouched');
});

t.test('a refused client that stops in the middle of its head gets the 503 at the header timeout, then a clean close', async (t) => {
  const { s } = await refusedConnection(t, { timeouts: { headerSeconds: 1 } });
  let error: Error | null = null;
  s.on('error', (err) => (error = err));
  s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const answer = await readUntil(s, isCompleteResponse, 10_000);
  t.equal(statusOf(answer), 503, 'answered once its time was up, as it stood');
  t.match(answer, /\r\nX-Arlen-Backpressure-Reason: http_session_limit\r\n/);
  s.end();
  const closed = await readToClose(s);
  t.equal(closed.closed, true);
  t.equal(error, null, 'no ECONNRESET');
});
