import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionKind } from '../contracts/ipc.js';

/**
 * What the worker tracks per client connection: the permit it holds, the
 * request in progress, and the marks the timeout sweep and the drain read.
 * Times are from performance.now(), in ms.
 */
export interface Conn {
  /** The accepted TCP socket: admitted, TLS-handshaked, and whose close releases the permit. */
  readonly raw: Socket;
  /**
   * What HTTP reads and writes, and the sweep measures: `raw`, or with TLS
   * the TLSSocket once its handshake completed (its counters are plaintext;
   * the raw socket's include the handshake and never show a queued write).
   */
  socket: Socket;
  /** A TLS handshake is running: only the handshake timeout applies, and the drain waits for it. */
  handshaking: boolean;
  /** The permit this connection holds, released once when the socket closes. */
  held: SessionKind | null;
  /** A WebSocket permit taken for an upgrade whose handshake has not finished. */
  pendingWebSocketPermit: boolean;
  req: IncomingMessage | null;
  res: ServerResponse | null;
  reqStartedAt: number;
  /** When the connection last had no request in progress. */
  idleSince: number;
  bytesReadAtIdle: number;
  /** When bytes of a next request were first seen on an idle connection; 0 when none. */
  headerStartedAt: number;
  writeStalledSince: number;
  bytesWrittenAtCheck: number;
  writableLengthAtCheck: number;
  closed: boolean;
  upgraded: boolean;
}

const kConn = Symbol('propane.conn');

export function attachConn(socket: Socket, now: number): Conn {
  const conn: Conn = {
    raw: socket,
    socket,
    handshaking: false,
    held: null,
    pendingWebSocketPermit: false,
    req: null,
    res: null,
    reqStartedAt: 0,
    idleSince: now,
    bytesReadAtIdle: 0,
    headerStartedAt: 0,
    writeStalledSince: 0,
    bytesWrittenAtCheck: 0,
    writableLengthAtCheck: 0,
    closed: false,
    upgraded: false,
  };
  tag(socket, conn);
  return conn;
}

/** The TLS handshake of `conn` completed: HTTP runs on `secure` from now on, idle since now. */
export function adoptSecureSocket(conn: Conn, secure: Socket, now: number): void {
  conn.socket = secure;
  conn.handshaking = false;
  conn.idleSince = now;
  conn.bytesReadAtIdle = 0;
  conn.headerStartedAt = 0;
  tag(secure, conn);
}

function tag(socket: Socket, conn: Conn): void {
  (socket as Socket & { [kConn]?: Conn })[kConn] = conn;
}

export function connOf(socket: Socket): Conn | undefined {
  return (socket as Socket & { [kConn]?: Conn })[kConn];
}
