import type { Socket } from 'node:net';
import { rawConnect, rawGet, readUntil, statusOf } from './http.js';

/** The exact 503 of SPEC section 7, as the client reads it. */
export interface BusyAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
  closed: boolean;
}

/** Opens a keep-alive connection and sends one GET; the socket stays open when the answer is 200. */
export async function openSession(port: number, path = '/'): Promise<{ socket: Socket; status: number; raw: string }> {
  const socket = await rawConnect(port);
  socket.on('error', () => {});
  const raw = await rawGet(socket, path);
  return { socket, status: statusOf(raw), raw };
}

/** Reads a whole answer until the server closes the socket, and splits it. */
export async function readToClose(socket: Socket, timeoutMs = 10_000): Promise<BusyAnswer> {
  let closed = socket.destroyed;
  socket.once('close', () => (closed = true));
  const raw = closed ? '' : await readUntil(socket, () => false, timeoutMs);
  return { ...parseResponse(raw), closed };
}

export function parseResponse(raw: string): { status: number; body: string; headers: Record<string, string> } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: statusOf(raw), body: end < 0 ? '' : raw.slice(end + 4), headers };
}

export function closeAll(sockets: Iterable<Socket>): void {
  for (const s of sockets) s.destroy();
}
