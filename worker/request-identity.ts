import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { PropaneRequestContext } from '../contracts/app.js';
import { randomId16, randomId32 } from './random-ids.js';
import { acceptTracestate, isTraceId, parseTraceparent } from './trace-context.js';

/**
 * A request's identity and trace context (docs/observability.md, "Request
 * identity and trace context"): made once per request, put on `req.propane`,
 * written to the response as header lines and to the log as the keys
 * OpenTelemetry's pino instrumentation uses.
 */

/** Which of the lines each response carries (observability.* in docs/configuration.md). */
export interface IdentityHeaderSettings {
  identity: boolean;
  trace: boolean;
}

/** Ids we echo must be safe in a header and in a log line: letters, digits and `._:@/+=-`, 1 to 200 of them. */
const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;

/**
 * A new trace starts sampled (`01`), as an OpenTelemetry root span under the
 * default sampler, so downstream parent-based samplers keep it; its trace id
 * is wholly random, which the W3C random-trace-id flag (`02`) says. A trace
 * id adopted from X-Trace-Id may not be random: sampled only.
 */
const NEW_TRACE_FLAGS = '03';
const ADOPTED_TRACE_FLAGS = '01';

/** The context of a parsed request, from its headers. */
export function identify(headers: IncomingHttpHeaders): PropaneRequestContext {
  const given = headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomId32();
  const inbound = parseTraceparent(headers.traceparent as string | undefined);
  if (inbound !== null) return context(requestId, inbound.traceId, inbound.traceFlags, acceptTracestate(headers.tracestate as string | undefined));
  const traceId = headers['x-trace-id'] as string | undefined;
  if (isTraceId(traceId)) return context(requestId, traceId, ADOPTED_TRACE_FLAGS, undefined);
  return context(requestId, randomId32(), NEW_TRACE_FLAGS, undefined);
}

/** The context of a response to no parsed request (a header timeout): all fresh. */
export function freshIdentity(): PropaneRequestContext {
  return context(randomId32(), randomId32(), NEW_TRACE_FLAGS, undefined);
}

function context(requestId: string, traceId: string, traceFlags: string, tracestate: string | undefined): PropaneRequestContext {
  const spanId = randomId16();
  return { requestId, traceId, spanId, traceFlags, traceparent: `00-${traceId}-${spanId}-${traceFlags}`, tracestate };
}

/** The context propane put on a request, if it did. */
export function contextOf(req: IncomingMessage | null | undefined): PropaneRequestContext | undefined {
  return (req as { propane?: PropaneRequestContext } | null | undefined)?.propane;
}

/** Attaches the context as `req.propane`, where the app reads it. */
export function attachContext(req: IncomingMessage, c: PropaneRequestContext): void {
  (req as { propane?: PropaneRequestContext }).propane = c;
}

/** X-Request-Id and its X-Correlation-Id twin, as wire lines; every value is header-safe by construction. */
export function identityLines(c: PropaneRequestContext): string {
  return `X-Request-Id: ${c.requestId}\r\nX-Correlation-Id: ${c.requestId}\r\n`;
}

/** traceparent and X-Trace-Id, as wire lines. tracestate is the app's to send on, not a response header. */
export function traceLines(c: PropaneRequestContext): string {
  return `traceparent: ${c.traceparent}\r\nX-Trace-Id: ${c.traceId}\r\n`;
}

/** The same headers as pairs, as the settings ask, for the responses written off the hot path (503, 408, 101, the upgrade 404). */
export function responseHeaderPairs(c: PropaneRequestContext, on: IdentityHeaderSettings): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  if (on.identity) pairs.push(['X-Request-Id', c.requestId], ['X-Correlation-Id', c.requestId]);
  if (on.trace) pairs.push(['traceparent', c.traceparent], ['X-Trace-Id', c.traceId]);
  return pairs;
}

/** The log keys of OpenTelemetry's pino instrumentation, plus request_id. */
export function logFields(c: PropaneRequestContext | undefined): Record<string, string> {
  if (c === undefined) return {};
  return { request_id: c.requestId, trace_id: c.traceId, span_id: c.spanId, trace_flags: c.traceFlags };
}
