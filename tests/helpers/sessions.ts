import type { Socket } from 'node:net';
import { parseRawResponse, rawConnect, rawGet, readUntil, statusOf, type RawResponse } from './http.js';
import { sleep } from './wait.js';

/** Sessions held open on raw keep-alive connections, for the session-limit tests (docs/session-limits.md). */

export interface Session {
  socket: Socket;
  status: number;
  /** The X-Arlen-Worker-Pid of the answer (NaN when there was none). */
  pid: number;
  raw: string;
}

/** Opens a keep-alive connection and sends one GET; the socket stays open when the answer is 200. */
export async function openSession(port: number, path = '/'): Promise<Session> {
  const socket = await rawConnect(port);
  socket.on('error', () => {});
  const raw = await rawGet(socket, path);
  return { socket, status: statusOf(raw), pid: Number(parseRawResponse(raw).headers['x-arlen-worker-pid']), raw };
}

/**
 * Opens sessions until `count` are admitted, pushing each admitted socket
 * onto `held` (the caller's teardown closes them); refused ones are closed
 * at once. Gives up after timeoutMs: permits a worker frees reach the pool
 * a moment after the close.
 */
export async function admitSessions(port: number, count: number, held: Socket[], timeoutMs = 10_000): Promise<Session[]> {
  const admitted: Session[] = [];
  const deadline = Date.now() + timeoutMs;
  while (admitted.length < count && Date.now() < deadline) {
    const s = await openSession(port);
    if (s.status === 200) {
      held.push(s.socket);
      admitted.push(s);
    } else {
      s.socket.destroy();
      await sleep(50);
    }
  }
  return admitted;
}

/** Reads a whole answer until the server closes the socket, and splits it; `closed` says whether it closed within timeoutMs. */
export async function readToClose(socket: Socket, timeoutMs = 10_000): Promise<RawResponse & { closed: boolean }> {
  let closed = socket.destroyed;
  socket.once('close', () => (closed = true));
  const raw = closed ? '' : await readUntil(socket, () => false, timeoutMs);
  return { ...parseRawResponse(raw), closed };
}

export function closeAll(sockets: Iterable<Socket>): void {
  for (const s of sockets) s.destroy();
}
