import type { IncomingMessage } from 'node:http';
import type { PropaneRequestContext } from '../contracts/app.js';
import { ServerResponse, validateHeaderName, validateHeaderValue } from '../shared/node-http.js';
import { identityLines, traceLines, type IdentityHeaderSettings } from './request-identity.js';

type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void;
const storeHeader = (ServerResponse.prototype as unknown as { _storeHeader?: StoreHeader })._storeHeader;

const NO_LINES: IdentityHeaderSettings = { identity: false, trace: false };

/**
 * The response class of the worker's HTTP server (node:http's documented
 * `ServerResponse` option). propane adds the identity, trace and cluster
 * headers to every response; with setHeader that is a dozen validated header
 * objects per response, which measurably costs keep-alive throughput
 * (bench/RESULTS.md). Instead the cluster lines are rendered once per cluster
 * state change, the per-request lines from values that are header-safe by
 * construction, and all are written after the status line in one
 * concatenation.
 */
export class PropaneResponse<Req extends IncomingMessage = IncomingMessage> extends ServerResponse<Req> {
  /** The request's identity and trace context, or null to write none of its lines. */
  propaneContext: PropaneRequestContext | null = null;
  /** Which of the context's lines to write. */
  propaneLines: IdentityHeaderSettings = NO_LINES;
  /** Complete `Name: value\r\n` lines, already validated, or '' for none. */
  propaneHeaders = '';
}

/** False if node:http ever drops `_storeHeader`: callers then fall back to setHeader. */
export const CAN_PRERENDER = typeof storeHeader === 'function';

if (storeHeader) {
  (PropaneResponse.prototype as unknown as { _storeHeader: StoreHeader })._storeHeader = function storePropaneHeader(this: ServerResponse, firstLine: string, headers: unknown): void {
    const self = this as PropaneResponse;
    const c = self.propaneContext;
    const lines = c === null ? '' : (self.propaneLines.identity ? identityOf(self, c) : '') + (self.propaneLines.trace ? traceLines(c) : '');
    storeHeader.call(this, firstLine + lines + self.propaneHeaders, headers);
  };
}

/**
 * An X-Request-Id the app set itself (setHeader) wins, and its
 * X-Correlation-Id twin then carries the app's value, so the two still agree.
 */
function identityOf(res: PropaneResponse, c: PropaneRequestContext): string {
  const own = res.getHeader('x-request-id');
  if (own === undefined) return identityLines(c);
  return typeof own === 'string' && !res.hasHeader('x-correlation-id') ? `X-Correlation-Id: ${own}\r\n` : '';
}

/** Renders header pairs to wire lines; a pair node:http would reject is left out rather than sent. */
export function renderHeaders(pairs: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of pairs) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      continue;
    }
    out += `${name}: ${value}\r\n`;
  }
  return out;
}
