import t from 'tap';
import { httpGet, rawConnect, sendRaw } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';

/**
 * docs/observability.md: the request line (debug), app_error, and the
 * rate-limited backpressure and timeout lines of a parsed request carry
 * request_id, trace_id, span_id and trace_flags, the keys of
 * OpenTelemetry's pino instrumentation; a header timeout has none.
 */
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = (flags: string): string => `00-${TRACE}-00f067aa0ba902b7-${flags}`;
const spanOf = (traceparent: unknown): string => String(traceparent).slice(36, 52);

t.test('request, app_error, backpressure and timeout lines carry the ids of their request, read from the JSON log', async (t) => {
  const node = await startPropane(t, {
    app: fixtureApp('forwards-trace-context.mjs'),
    workers: 1,
    args: ['--log-level', 'debug'],
    config: { runtimeLimits: { maxConcurrentHTTPSessions: 1 }, timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 30 } },
  });

  const ok = await httpGet(node.port, '/context', { headers: { 'X-Request-Id': 'log-req-1', traceparent: PARENT('01') } });
  const request = await node.waitForLog((l) => l.event === 'request' && l.request_id === 'log-req-1');
  t.match(request, { request_id: 'log-req-1', trace_id: TRACE, span_id: spanOf(ok.headers.traceparent), trace_flags: '01', method: 'GET', url: '/context', status: 200 });

  const failed = await httpGet(node.port, '/throw', { headers: { 'X-Request-Id': 'log-err-1', traceparent: PARENT('00') } });
  t.equal(failed.status, 500);
  const appError = await node.waitForLog((l) => l.event === 'app_error');
  t.match(appError, { request_id: 'log-err-1', trace_id: TRACE, span_id: spanOf(failed.headers.traceparent), trace_flags: '00', level: 50 });

  const body = await sendRaw(node.port, `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: log-body-1\r\ntraceparent: ${PARENT('01')}\r\nContent-Length: 10\r\n\r\nabc`);
  t.equal(body.status, 408);
  const bodyLine = await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'body');
  t.match(bodyLine, { request_id: 'log-body-1', trace_id: TRACE, span_id: spanOf(body.headers.traceparent), trace_flags: '01' }, 'a body timeout: the ids of the request cut');

  const header = await sendRaw(node.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: log-head-1\r\n');
  t.equal(header.status, 408);
  const headerLine = await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'header');
  t.same(['request_id', 'trace_id', 'span_id', 'trace_flags'].filter((k) => k in headerLine), [], 'a header timeout had no parsed request: no ids');

  await node.waitNoSessions(); // the 408s' connections hold the one permit until the worker has closed them
  const held = await rawConnect(node.port);
  t.teardown(() => held.destroy());
  await node.waitForStatus((s) => s.totals.sessions.http === 1);
  const busy = await sendRaw(node.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: log-busy-1\r\ntraceparent: ${PARENT('01')}\r\n\r\n`);
  t.equal(busy.status, 503);
  const backpressure = await node.waitForLog((l) => l.event === 'backpressure');
  t.match(backpressure, { reason: 'http_session_limit', request_id: 'log-busy-1', trace_id: TRACE, span_id: spanOf(busy.headers.traceparent), trace_flags: '01', level: 40 });
});
