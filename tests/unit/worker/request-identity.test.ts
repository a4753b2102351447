import t from 'tap';
import type { IncomingHttpHeaders } from 'node:http';
import { freshIdentity, identify, logFields, responseHeaderPairs } from '../../../worker/request-identity.js';

const ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${ID}-00f067aa0ba902b7-01`;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

// Each row: the request headers (as node:http hands them over) and what the context must say.
const rows: Array<{ name: string; headers: IncomingHttpHeaders; requestId: string | RegExp; traceId: string | RegExp; traceFlags: string; tracestate?: string }> = [
  { name: 'nothing sent: every id is made, a new trace starts sampled with random ids', headers: {}, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'a safe X-Request-Id is kept', headers: { 'x-request-id': 'req-42.abc:def@x/y+z=_' }, requestId: 'req-42.abc:def@x/y+z=_', traceId: HEX32, traceFlags: '03' },
  { name: 'an X-Request-Id of 200 characters is kept', headers: { 'x-request-id': 'r'.repeat(200) }, requestId: 'r'.repeat(200), traceId: HEX32, traceFlags: '03' },
  { name: 'an X-Request-Id of 201 characters is replaced', headers: { 'x-request-id': 'r'.repeat(201) }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'an X-Request-Id with a space is replaced', headers: { 'x-request-id': 'has spaces' }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'an empty X-Request-Id is replaced', headers: { 'x-request-id': '' }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'two X-Request-Id values (joined) are replaced', headers: { 'x-request-id': 'a, b' }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'a valid traceparent keeps its trace id and flags, and its tracestate', headers: { traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' }, requestId: HEX32, traceId: ID, traceFlags: '01', tracestate: 'congo=t61rcWkgMzE' },
  { name: 'a valid traceparent beats X-Trace-Id', headers: { traceparent: PARENT, 'x-trace-id': 'a'.repeat(32) }, requestId: HEX32, traceId: ID, traceFlags: '01' },
  { name: 'without a traceparent, a valid X-Trace-Id is adopted, sampled', headers: { 'x-trace-id': ID }, requestId: HEX32, traceId: ID, traceFlags: '01' },
  { name: 'with an invalid traceparent, a valid X-Trace-Id is adopted and tracestate dropped', headers: { traceparent: `ff-${ID}-00f067aa0ba902b7-01`, 'x-trace-id': ID, tracestate: 'congo=1' }, requestId: HEX32, traceId: ID, traceFlags: '01' },
  { name: 'an invalid X-Trace-Id is ignored', headers: { 'x-trace-id': ID.toUpperCase() }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'tracestate without a traceparent is dropped', headers: { tracestate: 'congo=1' }, requestId: HEX32, traceId: HEX32, traceFlags: '03' },
  { name: 'a malformed tracestate is dropped, the trace kept', headers: { traceparent: PARENT, tracestate: 'FOO=1' }, requestId: HEX32, traceId: ID, traceFlags: '01' },
];

for (const c of rows) {
  t.test(c.name, async (t) => {
    const got = identify(c.headers);
    if (typeof c.requestId === 'string') t.equal(got.requestId, c.requestId);
    else t.match(got.requestId, c.requestId);
    if (typeof c.traceId === 'string') t.equal(got.traceId, c.traceId);
    else t.match(got.traceId, c.traceId);
    t.equal(got.traceFlags, c.traceFlags);
    t.match(got.spanId, HEX16);
    t.not(got.spanId, '00f067aa0ba902b7', 'the span id is new for this hop');
    t.equal(got.traceparent, `00-${got.traceId}-${got.spanId}-${got.traceFlags}`);
    t.equal(got.tracestate, c.tracestate);
  });
}

t.test('a fresh identity has new ids throughout', async (t) => {
  const a = freshIdentity();
  const b = freshIdentity();
  t.match(a, { requestId: HEX32, traceId: HEX32, spanId: HEX16, traceFlags: '03', tracestate: undefined });
  t.not(a.requestId, b.requestId);
  t.not(a.traceId, b.traceId);
  t.not(a.requestId, a.traceId, 'the request id and the trace id are separate ids');
});

t.test('response headers and log fields follow the settings and the OpenTelemetry pino keys', async (t) => {
  const c = identify({ 'x-request-id': 'r-1', traceparent: PARENT });
  t.same(responseHeaderPairs(c, { identity: true, trace: true }), [['X-Request-Id', 'r-1'], ['X-Correlation-Id', 'r-1'], ['traceparent', c.traceparent], ['X-Trace-Id', ID]]);
  t.same(responseHeaderPairs(c, { identity: false, trace: true }), [['traceparent', c.traceparent], ['X-Trace-Id', ID]]);
  t.same(responseHeaderPairs(c, { identity: true, trace: false }), [['X-Request-Id', 'r-1'], ['X-Correlation-Id', 'r-1']]);
  t.same(responseHeaderPairs(c, { identity: false, trace: false }), []);
  t.same(logFields(c), { request_id: 'r-1', trace_id: ID, span_id: c.spanId, trace_flags: '01' });
  t.same(logFields(undefined), {});
});
