import type { IncomingMessage } from 'node:http';
import { ServerResponse, validateHeaderName, validateHeaderValue } from '../shared/node-http.js';

type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void;
const storeHeader = (ServerResponse.prototype as unknown as { _storeHeader?: StoreHeader })._storeHeader;

/**
 * The response class of the worker's HTTP server (node:http's documented
 * `ServerResponse` option). propane adds the same X-Request-Id and cluster
 * headers to every response; with setHeader that is 7+ validated header
 * objects per response, which measurably costs keep-alive throughput
 * (bench/RESULTS.md). Instead they are rendered once per cluster
 * state change and written after the status line in one concatenation.
 */
export class PropaneResponse<Req extends IncomingMessage = IncomingMessage> extends ServerResponse<Req> {
  /** The request id to echo as X-Request-Id, header-safe; '' for none. An X-Request-Id the app set itself wins. */
  propaneRequestId = '';
  /** Complete `Name: value\r\n` lines, already validated, or '' for none. */
  propaneHeaders = '';
}

/** False if node:http ever drops `_storeHeader`: callers then fall back to setHeader. */
export const CAN_PRERENDER = typeof storeHeader === 'function';

if (storeHeader) {
  (PropaneResponse.prototype as unknown as { _storeHeader: StoreHeader })._storeHeader = function storePropaneHeader(this: ServerResponse, firstLine: string, headers: unknown): void {
    const self = this as PropaneResponse;
    const id = self.propaneRequestId !== '' && !self.hasHeader('x-request-id') ? `X-Request-Id: ${self.propaneRequestId}\r\n` : '';
    storeHeader.call(this, firstLine + id + self.propaneHeaders, headers);
  };
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
