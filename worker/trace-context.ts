/**
 * W3C Trace Context parsing (https://www.w3.org/TR/trace-context/), pure.
 * Anything that does not parse is ignored, never echoed: the caller starts a
 * new trace instead. node:http has already joined repeated headers with ", "
 * and refused control characters other than tab.
 */

export interface InboundTrace {
  traceId: string;
  traceFlags: string;
}

const DASH = 0x2d;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** `00-` + 32 + `-` + 16 + `-` + 2. */
const TRACEPARENT_LENGTH = 55;

/**
 * The trace id and flags of a valid `traceparent`, else null. Version `00`
 * is exactly 55 characters; a higher version (not `ff`) may carry more
 * fields after a dash, which are not read (the W3C text's rule for future
 * versions). More than one value (a repeated header or a list) fails both.
 */
export function parseTraceparent(raw: string | undefined): InboundTrace | null {
  if (raw === undefined) return null;
  const value = raw.length === TRACEPARENT_LENGTH ? raw : trimOws(raw);
  const length = value.length;
  if (length < TRACEPARENT_LENGTH) return null;
  if (value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH || value.charCodeAt(52) !== DASH) return null;
  if (!isLowerHex(value, 0, 2) || !isLowerHex(value, 3, 35) || !isLowerHex(value, 36, 52) || !isLowerHex(value, 53, 55)) return null;
  const version = value.slice(0, 2);
  if (version === 'ff') return null;
  if (length > TRACEPARENT_LENGTH && (version === '00' || value.charCodeAt(TRACEPARENT_LENGTH) !== DASH)) return null;
  const traceId = value.slice(3, 35);
  if (traceId === ZERO_TRACE_ID || value.slice(36, 52) === ZERO_SPAN_ID) return null;
  return { traceId, traceFlags: value.slice(53, 55) };
}

/** A trace id a client sent as X-Trace-Id: 32 lower-hex characters, not all zeros. */
export function isTraceId(value: string | undefined): value is string {
  return value !== undefined && value.length === 32 && isLowerHex(value, 0, 32) && value !== ZERO_TRACE_ID;
}

const MAX_TRACESTATE_MEMBERS = 32;
const TRACESTATE_KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
/** Printable ASCII but `,` and `=`, up to 256 characters, not ending in a space; trailing spaces were trimmed as OWS. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * A `tracestate` to pass on unchanged, or undefined: an empty one is not
 * worth sending, and a malformed one (a bad key or value, more than 32
 * members) is discarded whole, as the W3C test suite expects. Empty and
 * whitespace-only members are allowed: they arise when headers are joined.
 */
export function acceptTracestate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let members = 0;
  for (const part of value.split(',')) {
    const member = trimOws(part);
    if (member === '') continue;
    if (++members > MAX_TRACESTATE_MEMBERS) return undefined;
    const eq = member.indexOf('=');
    if (eq < 1 || !TRACESTATE_KEY.test(member.slice(0, eq)) || !TRACESTATE_VALUE.test(member.slice(eq + 1))) return undefined;
  }
  return members === 0 ? undefined : value;
}

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Strips spaces and tabs (RFC 9110 OWS) from both ends. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
