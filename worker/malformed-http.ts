import type { Socket } from 'node:net';
import { connOf } from './connection.js';
import { endWithRawResponse } from './raw-responses.js';

/**
 * Bytes the HTTP parser rejects (docs/endpoints.md, "Malformed HTTP"): a
 * clear 400, or 431 for oversized headers, then close; the worker keeps
 * serving. When a response is already on the wire, more bytes would corrupt
 * it, so the socket is just closed.
 */
export function answerMalformedRequest(err: NodeJS.ErrnoException, socket: Socket, headers: ReadonlyArray<readonly [string, string]>): void {
  const midResponse = connOf(socket)?.res?.headersSent ?? false;
  if (!socket.writable || midResponse || err.code === 'ECONNRESET') return void socket.destroy();
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  endWithRawResponse(socket, status, tooLarge ? 'request header fields too large\n' : 'bad request\n', headers);
}
