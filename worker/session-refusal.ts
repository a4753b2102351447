import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { PropaneRequestContext } from '../contracts/app.js';
import { logEvent, type Logger } from '../shared/log.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { ClusterView } from './cluster-view.js';
import type { Conn } from './connection.js';
import { BUSY_BODY, httpDate, LINGER_MS } from './raw-responses.js';
import { headEnd, MAX_REFUSED_HEAD_BYTES, scanHead } from './refused-head.js';
import { identify, logFields, responseHeaderPairs, type IdentityHeaderSettings } from './request-identity.js';
import type { RejectReason, WorkerCounters } from './stats.js';

export interface SessionRefusalDeps {
  view: ClusterView;
  counters: WorkerCounters;
  log: Logger;
  identityHeaders: IdentityHeaderSettings;
}

type BackpressureLine = { reason: RejectReason; suppressed_since_last: number; rejected_total: number };

/** With TLS, a refused connection's handshake (worker/tls-termination.ts): false when none may start now. */
export interface RefusalHandshake {
  handshakeRefused(conn: Conn, serve: (secure: Socket) => void): boolean;
}

/**
 * Sessions over the node-wide limit get the 503 of docs/session-limits.md
 * ("The refused session"), and no app code runs. A refused connection's
 * head is read just far enough to answer (refused-head.ts: no HTTP parser);
 * a refused WebSocket upgrade gets the same bytes on its socket. A client
 * that sent a bare request is closed right after the answer; one that may
 * still be sending lingers, its further bytes discarded, until it closes or
 * its time is up. A head that does not end within its time, or within
 * MAX_REFUSED_HEAD_BYTES, is answered as it stands (fresh ids), so a client
 * that sent anything gets the 503; one that sent nothing is cut. Those
 * times (a TLS handshake's, then the head's, then the linger's) are checked
 * by the timeout sweep (`expire`), so a refusal sets no timer of its own.
 * Every refusal is counted; the log gets one `backpressure` line per reason
 * per window, carrying the ids of the refused request once it is answered
 * (none when the client closes, or sends nothing, before it is).
 */
export class SessionRefusal {
  readonly #headerMs: number;
  readonly #handshakeMs: number;
  readonly #deps: SessionRefusalDeps;
  readonly #rateLimit = new RateLimitedLog(5000);
  /** Lines admitted by the rate limit for a refused connection whose head is not read yet. */
  readonly #pending = new WeakMap<Conn, BackpressureLine>();
  /** Refused connections still open, and when each is cut (performance.now() ms). */
  readonly #deadlines = new Map<Conn, number>();
  /** Refused connections that sent part of a head: how to answer each without the rest. */
  readonly #partial = new Map<Conn, () => void>();

  /** `handshakeMs`: how long a refused TLS handshake may take, and then its head (unused without TLS); a plain head has `headerTimeoutMs`. */
  constructor(headerTimeoutMs: number, handshakeMs: number, deps: SessionRefusalDeps) {
    this.#headerMs = headerTimeoutMs;
    this.#handshakeMs = handshakeMs;
    this.#deps = deps;
  }

  /**
   * A connection no HTTP permit was found for; the caller no longer tracks
   * it. With TLS it is handshaked first, so the 503 arrives over TLS, unless
   * too many refused handshakes already run: then it is closed unanswered.
   */
  refuseConnection(conn: Conn, tls: RefusalHandshake | null): void {
    const line = this.#count('http_session_limit');
    if (conn.closed) return this.#log(line, undefined);
    if (line !== null) this.#pending.set(conn, line);
    const raw = conn.raw;
    if (tls === null) {
      this.#cutAfter(conn, this.#headerMs);
      this.#readHead(conn, raw);
      raw.resume();
      return;
    }
    this.#cutAfter(conn, this.#handshakeMs);
    const handshaken = (secure: Socket): void => {
      // Its slot among the bounded refused TLS connections is held until it closes: the head gets the same short time.
      this.#cutAfter(conn, Math.min(this.#headerMs, this.#handshakeMs));
      this.#readHead(conn, secure);
    };
    if (!tls.handshakeRefused(conn, handshaken)) raw.destroy();
  }

  /**
   * An upgrade no WebSocket permit was found for; the connection closes, releasing its HTTP permit.
   * `more`: the client sent bytes past the upgrade request.
   */
  refuseUpgrade(conn: Conn, context: PropaneRequestContext, more: boolean): void {
    this.#log(this.#count('websocket_session_limit'), context);
    if (conn.closed) return;
    this.#answer(conn, conn.socket, this.#busy('websocket_session_limit', context), more);
  }

  /**
   * The sweep's share: the refused connections whose time is up. One that sent part of a head gets its
   * 503 now (and lingers); one that sent nothing, or was answered already, is cut.
   */
  expire(now: number): void {
    for (const [conn, deadline] of this.#deadlines) {
      if (now < deadline) continue;
      const giveUp = this.#partial.get(conn);
      if (giveUp) giveUp();
      else conn.raw.destroy();
    }
  }

  #readHead(conn: Conn, socket: Socket): void {
    let head = '';
    const onData = (chunk: Buffer): void => {
      const searched = head.length;
      head += chunk.toString('latin1');
      const end = headEnd(head, searched);
      if (end < 0) {
        if (head.length > MAX_REFUSED_HEAD_BYTES) return this.#giveUp(conn, socket, onData);
        // Made only for a head that arrives in pieces: most come whole, and their refusal allocates nothing more.
        if (!this.#partial.has(conn)) this.#partial.set(conn, () => this.#giveUp(conn, socket, onData));
        return;
      }
      socket.off('data', onData);
      this.#partial.delete(conn);
      const { echoed, announcesBody } = scanHead(head.slice(0, end));
      this.#answerRequest(conn, socket, echoed, end < head.length || announcesBody);
    };
    socket.on('data', onData);
  }

  /** Answers a head that did not end in time or in MAX_REFUSED_HEAD_BYTES, as it stands; the client may still be sending. */
  #giveUp(conn: Conn, socket: Socket, onData: (chunk: Buffer) => void): void {
    socket.off('data', onData);
    this.#partial.delete(conn);
    this.#answerRequest(conn, socket, {}, true);
  }

  /** Logs the pending line with the request's ids, and answers (`mayStillSend`: bytes may follow what was read). */
  #answerRequest(conn: Conn, socket: Socket, echoed: IncomingHttpHeaders, mayStillSend: boolean): void {
    const on = this.#deps.identityHeaders;
    const pending = this.#pending.get(conn);
    const context = on.identity || on.trace || pending ? identify(echoed) : undefined;
    if (pending) {
      this.#pending.delete(conn);
      this.#log(pending, context);
    }
    this.#answer(conn, socket, this.#busy('http_session_limit', context), mayStillSend);
  }

  /**
   * Over TLS, or when the client may still be sending (`mayStillSend`), closing now could reset it, so
   * it lingers. Otherwise all it sent is read: closing right after the write (the kernel sends the
   * 503, then the FIN) leaves nothing to wait for.
   */
  #answer(conn: Conn, socket: Socket, answer: string, mayStillSend: boolean): void {
    if (mayStillSend || socket !== conn.raw) return this.#endAndLinger(conn, socket, answer);
    socket.write(answer);
    if (socket.writableLength === 0) socket.destroy();
    else this.#endAndLinger(conn, socket, undefined);
  }

  #busy(reason: RejectReason, context: PropaneRequestContext | undefined): string {
    let head = `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${BUSY_BODY.length}\r\nRetry-After: 1\r\nX-Arlen-Backpressure-Reason: ${reason}\r\n`;
    if (context) for (const [name, value] of responseHeaderPairs(context, this.#deps.identityHeaders)) head += `${name}: ${value}\r\n`;
    for (const [name, value] of this.#deps.view.headers) head += `${name}: ${value}\r\n`;
    return `${head}Date: ${httpDate()}\r\nConnection: close\r\n\r\n${BUSY_BODY}`;
  }

  /**
   * Ends with `answer` (if not written yet); the client has LINGER_MS to close its side before it is cut.
   * What it still sends is read and dropped (a flowing socket with no 'data' listener drops it), so its
   * close is no reset.
   */
  #endAndLinger(conn: Conn, socket: Socket, answer: string | undefined): void {
    if (answer === undefined) socket.end();
    else socket.end(answer);
    socket.resume();
    this.#cutAfter(conn, LINGER_MS);
  }

  /** Sets when the sweep cuts `conn`: its head's deadline, then its linger's. */
  #cutAfter(conn: Conn, ms: number): void {
    if (!this.#deadlines.has(conn)) conn.raw.once('close', () => this.#closed(conn));
    this.#deadlines.set(conn, performance.now() + ms);
  }

  #closed(conn: Conn): void {
    this.#deadlines.delete(conn);
    this.#partial.delete(conn);
    const line = this.#pending.get(conn);
    if (line === undefined) return;
    this.#pending.delete(conn);
    this.#log(line, undefined);
  }

  /** Counts a refusal; returns the log line when the rate limit lets one through, else null. */
  #count(reason: RejectReason): BackpressureLine | null {
    const total = ++this.#deps.counters.rejected[reason];
    const suppressed = this.#rateLimit.admit(reason, Date.now());
    return suppressed >= 0 ? { reason, suppressed_since_last: suppressed, rejected_total: total } : null;
  }

  #log(line: BackpressureLine | null, context: PropaneRequestContext | undefined): void {
    if (line !== null) logEvent(this.#deps.log, 'warn', 'backpressure', { ...line, ...logFields(context) }, 'session refused: node-wide limit reached');
  }
}
