import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no agent), bounded in time. */
export function httpGet(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A raw TCP connection, for holding sessions open and sending exact bytes. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads from a raw socket until `done(text)` holds, the socket ends, or timeoutMs passes. */
export function readUntil(socket: Socket, done: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', finish);
      resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (done(text)) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', onData);
    socket.once('close', finish);
  });
}

/** Sends one keep-alive GET on a raw socket and reads one full response (Content-Length or chunked end). */
export async function rawGet(socket: Socket, path: string, extraHeaders = ''): Promise<string> {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}\r\n`);
  return readUntil(socket, isCompleteResponse);
}

export function isCompleteResponse(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const length = /content-length: (\d+)/.exec(head);
  if (length) return text.length - end - 4 >= Number(length[1]);
  if (head.includes('transfer-encoding: chunked')) return text.endsWith('0\r\n\r\n');
  return false;
}

export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

export interface RawResponse {
  status: number;
  /** By lower-case name; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/** Splits one raw HTTP/1.1 response as it came off the wire; status 0 and no headers when nothing came. */
export function parseRawResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of (end < 0 ? raw : raw.slice(0, end)).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: statusOf(raw), headers, body: end < 0 ? '' : raw.slice(end + 4) };
}

/**
 * Sends exact bytes on a fresh connection and reads one full response;
 * then, with closeWaitMs, waits that long at most for the server to close:
 * `closed` says whether it did. `raw` is the response as it came.
 */
export async function sendRaw(port: number, bytes: string, closeWaitMs = 0): Promise<RawResponse & { raw: string; closed: boolean }> {
  const s = await rawConnect(port);
  try {
    let closed = false;
    s.once('close', () => (closed = true));
    s.write(bytes);
    const raw = await readUntil(s, isCompleteResponse, 8_000);
    if (closeWaitMs > 0) await readUntil(s, () => false, closeWaitMs);
    return { ...parseRawResponse(raw), raw, closed };
  } finally {
    s.destroy();
  }
}
