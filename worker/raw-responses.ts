/**
 * Responses written straight to a socket, for the cases where no
 * ServerResponse exists or must not be used: a WebSocket upgrade over its
 * limit, a timeout before the request was complete. Bytes per SPEC 7 and 8.
 */
export function rawResponse(
  status: string,
  body: string,
  headers: ReadonlyArray<readonly [string, string]>,
): string {
  let head = `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nDate: ${new Date().toUTCString()}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${body}`;
}

export const BUSY_BODY = 'server busy\n';
export const TIMEOUT_BODY = 'request timeout\n';
