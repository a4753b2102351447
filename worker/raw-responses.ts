import type { Socket } from 'node:net';

/**
 * Responses written straight to a socket, for the cases where no
 * ServerResponse exists or must not be used: a WebSocket upgrade over its
 * limit, a timeout before the request was complete, malformed HTTP. The
 * exact bytes are in docs/session-limits.md and docs/endpoints.md.
 */
export function rawResponse(
  status: string,
  body: string,
  headers: ReadonlyArray<readonly [string, string]>,
): string {
  let head = `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nDate: ${httpDate()}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${body}`;
}

let dateSecond = -1;
let dateText = '';

/** The Date header's value, formatted once a second, as node:http caches its own: a flood of refusals formats it no more often. */
export function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

export const BUSY_BODY = 'server busy\n';
export const TIMEOUT_BODY = 'request timeout\n';

/** How long a refused or timed-out socket may linger to read the client's bytes before it is destroyed. */
export const LINGER_MS = 2000;

/** Answers with `rawResponse` and closes; a client that does not close its side within LINGER_MS is cut. */
export function endWithRawResponse(socket: Socket, status: string, body: string, headers: ReadonlyArray<readonly [string, string]>): void {
  socket.end(rawResponse(status, body, headers));
  socket.setTimeout(LINGER_MS, () => socket.destroy());
}
