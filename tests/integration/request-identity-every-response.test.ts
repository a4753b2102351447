import type { IncomingHttpHeaders } from 'node:http';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { httpGet, isCompleteResponse, parseRawResponse, rawConnect, readUntil, sendRaw } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { within } from '../helpers/wait.js';

/**
 * docs/observability.md, "Request identity and trace context": every answer
 * to a parsed request (app, built-ins, 404, 101) and every 503 and 408
 * propane writes carries X-Request-Id with its X-Correlation-Id twin, and
 * traceparent with X-Trace-Id; each pair has its switch; bad input is
 * ignored, never echoed, and the request is served.
 */
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = `00-${TRACE}-b7ad6b7169203331-01`;
const UPGRADE = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

type AnyHeaders = IncomingHttpHeaders | Record<string, string>;

/** The identity and trace of an answer, checked for shape: twins agree, the traceparent is version 00 and names X-Trace-Id. */
function identityOf(t: Test, h: AnyHeaders, what: string): { requestId: string; traceId: string; spanId: string; flags: string } {
  const requestId = String(h['x-request-id']);
  t.equal(h['x-correlation-id'], requestId, `${what}: X-Correlation-Id is X-Request-Id's twin`);
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(h.traceparent));
  t.ok(m, `${what}: traceparent ${String(h.traceparent)}`);
  t.equal(h['x-trace-id'], m?.[1], `${what}: X-Trace-Id is the trace id`);
  t.equal(h.tracestate, undefined, `${what}: no tracestate on responses`);
  return { requestId, traceId: m?.[1] ?? '', spanId: m?.[2] ?? '', flags: m?.[3] ?? '' };
}

/** Answers to raw bytes on a fresh connection. */
async function rawAnswer(port: number, bytes: string): Promise<{ status: number; headers: Record<string, string> }> {
  const res = await sendRaw(port, bytes);
  return { status: res.status, headers: res.headers };
}

/**
 * Holds the node's one HTTP permit with an idle connection until `t` ends,
 * then waits until the worker has it back: a node that was full admits again
 * once a release has reached it (docs/session-limits.md), not before.
 */
async function holdTheOnlyPermit(t: Test, node: PropaneNode): Promise<void> {
  const held = await rawConnect(node.port);
  t.teardown(async () => {
    held.destroy();
    await node.waitNoSessions();
  });
  await node.waitForStatus((s) => s.totals.sessions.http === 1);
}

const CONFIG = {
  runtimeLimits: { maxConcurrentHTTPSessions: 1, maxConcurrentWebSocketSessions: 1 },
  timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 30 },
};

t.test('every answer carries the identity and trace pairs: made fresh, or taken from the client', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('forwards-trace-context.mjs'), workers: 1, config: CONFIG });
  const given = { 'X-Request-Id': 'client-req-7', traceparent: PARENT };

  for (const [what, path, method, status] of [
    ['the app', '/', 'GET', 200],
    ['/healthz', '/healthz', 'GET', 200],
    ['/readyz', '/readyz', 'GET', 200],
    ['/clusterz', '/clusterz', 'GET', 200],
    ['a built-in\'s 405', '/livez', 'POST', 405],
  ] as const) {
    const made = await httpGet(node.port, path, { method });
    t.equal(made.status, status, what);
    const a = identityOf(t, made.headers, `${what}, nothing sent`);
    t.match(a.requestId, /^[0-9a-f]{32}$/, `${what}: a fresh 32-hex request id`);
    t.equal(a.flags, '03', `${what}: a new trace, sampled, random id`);
    const taken = await httpGet(node.port, path, { method, headers: given });
    const b = identityOf(t, taken.headers, `${what}, ids sent`);
    t.same([b.requestId, b.traceId, b.flags], ['client-req-7', TRACE, '01'], `${what}: the client's id and trace`);
    t.not(b.spanId, 'b7ad6b7169203331', `${what}: a new span id for this hop`);
  }

  const upgrade404 = await rawAnswer(node.port, `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: client-up-1\r\ntraceparent: ${PARENT}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n`);
  t.equal(upgrade404.status, 404, 'an upgrade to something else');
  t.same(Object.values(identityOf(t, upgrade404.headers, 'the upgrade 404')).slice(0, 2), ['client-up-1', TRACE]);

  t.test('the 101 of a WebSocket handshake, and req.propane in the app\'s websocket()', async (t) => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.port}/ws`, { headers: given });
    t.teardown(() => ws.terminate());
    // Listening before the handshake: the first frame may come in the same read as the 101.
    const first = new Promise((resolve) => ws.once('message', resolve));
    const head = await new Promise<IncomingHttpHeaders>((resolve, reject) => ws.once('upgrade', (res) => resolve(res.headers)).once('error', reject));
    const a = identityOf(t, head, 'the 101');
    t.same([a.requestId, a.traceId], ['client-req-7', TRACE]);
    const seen = JSON.parse(String(await within(first, 5_000))) as Record<string, unknown>;
    t.same(seen, { requestId: 'client-req-7', traceId: TRACE, spanId: a.spanId, traceFlags: '01', traceparent: head.traceparent }, 'the app saw the same context');

    const refused = await rawAnswer(node.port, UPGRADE('/ws', 'X-Request-Id: client-up-2\r\n'));
    t.equal(refused.status, 503, 'a second WebSocket is over its limit');
    t.equal(refused.headers['x-arlen-backpressure-reason'], 'websocket_session_limit');
    t.equal(identityOf(t, refused.headers, 'the WebSocket 503').requestId, 'client-up-2');
  });

  t.test('the 503 of a refused connection carries the ids of the request it refused', async (t) => {
    await holdTheOnlyPermit(t, node);
    const refused = await rawAnswer(node.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: client-busy-1\r\ntraceparent: ${PARENT}\r\n\r\n`);
    t.equal(refused.status, 503);
    const a = identityOf(t, refused.headers, 'the HTTP 503');
    t.same([a.requestId, a.traceId, a.flags], ['client-busy-1', TRACE, '01']);
    const made = await rawAnswer(node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    t.equal(made.status, 503);
    t.match(identityOf(t, made.headers, 'the HTTP 503, nothing sent').requestId, /^[0-9a-f]{32}$/);
  });

  t.test('a 408 carries the ids of a parsed request (body), fresh ones when the headers never completed', async (t) => {
    const body = await rawAnswer(node.port, `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: client-slow-1\r\ntraceparent: ${PARENT}\r\nContent-Length: 10\r\n\r\nabc`);
    t.equal(body.status, 408);
    t.equal(body.headers['x-arlen-timeout-reason'], 'body');
    t.same(Object.values(identityOf(t, body.headers, 'the body 408')).slice(0, 2), ['client-slow-1', TRACE]);
    const header = await rawAnswer(node.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: never-complete\r\n`);
    t.equal(header.status, 408);
    const a = identityOf(t, header.headers, 'the header 408');
    t.match(a.requestId, /^[0-9a-f]{32}$/, 'no request was parsed: a fresh id, not the partial one');
    t.not(a.traceId, TRACE);
  });

  t.test('req.propane gives the app the context to send on, tracestate included', async (t) => {
    await node.waitNoSessions(); // the 408s' connections hold the one permit until the worker has closed them
    const res = await httpGet(node.port, '/context', { headers: { ...given, tracestate: 'congo=t61rcWkgMzE' } });
    const seen = JSON.parse(res.body) as Record<string, unknown>;
    const a = identityOf(t, res.headers, '/context');
    t.same(seen, { requestId: 'client-req-7', traceId: TRACE, spanId: a.spanId, traceFlags: '01', traceparent: res.headers.traceparent, tracestate: 'congo=t61rcWkgMzE' });
  });
});

t.test('bad input is ignored, never echoed, never an error: the request is served', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('forwards-trace-context.mjs'), workers: 1 });
  const huge = `${PARENT}-${'x'.repeat(10_000)}`;
  for (const [what, head] of [
    ['a 10 KB traceparent', `traceparent: ${huge}\r\n`],
    ['50 traceparent values', Array.from({ length: 50 }, () => `traceparent: ${PARENT}\r\n`).join('')],
    ['a tab inside traceparent', `traceparent: ${PARENT.replace('-', '\t')}\r\n`],
    ['an unsafe X-Request-Id', 'X-Request-Id: "><script>alert(1)</script>\r\n'],
    ['an X-Request-Id with a tab', 'X-Request-Id: a\tb\r\n'],
    ['an X-Trace-Id in upper case', `X-Trace-Id: ${TRACE.toUpperCase()}\r\n`],
    ['a tracestate without a traceparent', 'tracestate: evil=1\r\n'],
  ] as const) {
    const res = await sendRaw(node.port, `GET /context HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}Connection: close\r\n\r\n`);
    t.equal(res.status, 200, `${what}: served`);
    const a = identityOf(t, res.headers, what);
    t.match(a.requestId, /^[0-9a-f]{32}$/, `${what}: a fresh request id`);
    t.not(a.traceId, TRACE, `${what}: a new trace`);
    t.notOk(res.raw.includes('script') || res.raw.includes('xxxx') || res.raw.includes('evil') || res.raw.includes(TRACE.toUpperCase()), `${what}: nothing reflected`);
  }

  // obs-text: bytes node:http accepts (as latin1) but no id may contain.
  const s = await rawConnect(node.port);
  t.teardown(() => s.destroy());
  s.write(Buffer.concat([Buffer.from(`GET /context HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: id-`), Buffer.from([0xc3, 0xa9]), Buffer.from(`\r\ntraceparent: ${PARENT.slice(0, -1)}`), Buffer.from([0xe9]), Buffer.from('\r\nConnection: close\r\n\r\n')]));
  const obs = parseRawResponse(await readUntil(s, isCompleteResponse));
  t.equal(obs.status, 200, 'obs-text bytes: served');
  t.not(identityOf(t, obs.headers, 'obs-text').traceId, TRACE);
  t.match(obs.headers['x-request-id'], /^[0-9a-f]{32}$/);

  const ctl = await sendRaw(node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\ntraceparent: 00-\x01\r\n\r\n');
  t.equal(ctl.status, 400, 'a control character is a request the HTTP parser refuses: 400 (docs/endpoints.md, "Malformed HTTP")');
  t.equal((await httpGet(node.port, '/healthz')).status, 200, 'and the worker keeps serving');
  t.equal(node.logs.filter((l) => l.event === 'app_error').length, 0, 'no input made an error');
});

t.test('each pair has its switch; the id is made and logged either way', async (t) => {
  t.test('observability.responseIdentityHeadersEnabled false: no X-Request-Id or X-Correlation-Id, the id still logged', async (t) => {
    const node = await startPropane(t, { app: fixtureApp('forwards-trace-context.mjs'), workers: 1, config: { ...CONFIG, observability: { responseIdentityHeadersEnabled: false } }, args: ['--log-level', 'debug'] });
    const answers = [
      await httpGet(node.port, '/', { headers: { 'X-Request-Id': 'quiet-1' } }),
      await httpGet(node.port, '/healthz'),
      await rawAnswer(node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
    ];
    for (const a of answers) {
      t.same([a.headers['x-request-id'], a.headers['x-correlation-id']], [undefined, undefined], `no identity pair on the ${a.status}`);
      t.match(a.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/, 'the trace pair stays');
    }
    await holdTheOnlyPermit(t, node);
    const busy = await rawAnswer(node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    t.equal(busy.status, 503);
    t.same([busy.headers['x-request-id'], busy.headers['x-correlation-id']], [undefined, undefined], 'none on the 503');
    await node.waitForLog((l) => l.event === 'request' && l.request_id === 'quiet-1');
    const made = await node.waitForLog((l) => l.event === 'request' && l.url === '/healthz');
    t.match(made.request_id, /^[0-9a-f]{32}$/, 'a made id is logged');
  });

  t.test('observability.tracePropagationEnabled false: no traceparent or X-Trace-Id, the app still gets the context', async (t) => {
    const node = await startPropane(t, { app: fixtureApp('forwards-trace-context.mjs'), workers: 1, env: { ARLEN_TRACE_PROPAGATION_ENABLED: 'false' } });
    const res = await httpGet(node.port, '/context', { headers: { 'X-Request-Id': 'untraced-1', traceparent: PARENT } });
    t.same([res.headers.traceparent, res.headers['x-trace-id']], [undefined, undefined], 'no trace pair');
    t.same([res.headers['x-request-id'], res.headers['x-correlation-id']], ['untraced-1', 'untraced-1'], 'the identity pair stays');
    t.match(JSON.parse(res.body), { requestId: 'untraced-1', traceId: TRACE, traceFlags: '01' }, 'req.propane still continues the trace');
  });
});
