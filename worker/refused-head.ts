import type { IncomingHttpHeaders } from 'node:http';

/**
 * A refused connection's request head, read just far enough to answer it
 * (docs/session-limits.md, "The refused session"): where the head ends, so
 * the 503 goes out once the whole request line and headers are in (no reset
 * for a client still sending them), and the few headers the 503 echoes
 * (request identity and trace context). No HTTP parser runs for a refusal;
 * whatever the request says, the answer is the same 503. Pure.
 */

/** A head longer than this is not waited for: node:http's default --max-http-header-size. */
export const MAX_REFUSED_HEAD_BYTES = 16 * 1024;

/** The headers request-identity.ts reads, by lower-case name. */
const ECHOED = new Set(['x-request-id', 'traceparent', 'tracestate', 'x-trace-id']);

/**
 * Where the head in `text` (latin1) ends, just past its blank line, or -1.
 * Bare LF line ends count too (node:http would answer them 400; a refused
 * client gets its 503 either way). `from` skips what an earlier call
 * already searched.
 */
export function headEnd(text: string, from = 0): number {
  for (let i = text.indexOf('\n', Math.max(0, from - 2)); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (text.charCodeAt(i + 1) === 10) return i + 2;
    if (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10) return i + 3;
  }
  return -1;
}

/** What the answer needs from a refused request's head. */
export interface RefusedHead {
  /** The echoed headers, as node:http hands them to a request: names without regard to case, values without surrounding blanks, repeats joined with ", " (which makes a repeated traceparent invalid, as it must be). */
  echoed: IncomingHttpHeaders;
  /** A body follows (a Content-Length other than 0, or a Transfer-Encoding): its bytes are still to come. */
  announcesBody: boolean;
}

export function scanHead(head: string): RefusedHead {
  const echoed: Record<string, string> = {};
  let announcesBody = false;
  let start = head.indexOf('\n') + 1;
  // The next colon at or after `start`, found once and reused by the lines before it: searching afresh
  // from every line start would make a head of many colon-less lines cost time quadratic in its length.
  let colon = -1;
  while (start > 0 && start < head.length) {
    const next = head.indexOf('\n', start);
    const end = next < 0 ? head.length : next;
    if (colon < start) colon = head.indexOf(':', start) >>> 0; // none left: 2^32 - 1, past every line
    if (colon > start && colon < end) {
      const name = head.slice(start, colon).toLowerCase();
      const value = (): string => head.slice(colon + 1, end).replace(/^[ \t]+|[ \t\r]+$/g, '');
      if (ECHOED.has(name)) echoed[name] = name in echoed ? `${echoed[name]}, ${value()}` : value();
      else if (name === 'transfer-encoding' || (name === 'content-length' && value() !== '0')) announcesBody = true;
    }
    start = end + 1;
  }
  return { echoed, announcesBody };
}
