import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PropaneRequestContext } from '../contracts/app.js';
import { logEvent, type Logger } from '../shared/log.js';
import { createServer as createHttpServer } from '../shared/node-http.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { ClusterView } from './cluster-view.js';
import { connOf, type Conn } from './connection.js';
import { BUSY_BODY, endWithRawResponse, LINGER_MS } from './raw-responses.js';
import { identify, logFields, responseHeaderPairs, type IdentityHeaderSettings } from './request-identity.js';
import type { RejectReason, WorkerCounters } from './stats.js';
import { NODE_HTTP_TIMEOUTS_OFF } from './timeout-sweeper.js';

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
 * ("The refused session"), and no app code runs: a refused connection goes
 * to a second HTTP server that answers whatever request comes; a refused
 * WebSocket upgrade gets the same bytes on its raw socket. Every refusal is
 * counted; the log gets one `backpressure` line per reason per window,
 * carrying the ids of the refused request once it is parsed (none when the
 * client closes or times out without sending one).
 */
export class SessionRefusal {
  readonly #server: HttpServer;
  readonly #headerTimeoutMs: number;
  readonly #lifetimeMs: number;
  readonly #deps: SessionRefusalDeps;
  readonly #rateLimit = new RateLimitedLog(5000);
  /** Lines admitted by the rate limit for a refused connection whose request is not parsed yet. */
  readonly #pending = new WeakMap<Conn, BackpressureLine>();

  /** `handshakeMs`: how long a refused TLS handshake may take (0 without TLS). */
  constructor(headerTimeoutMs: number, handshakeMs: number, deps: SessionRefusalDeps) {
    this.#headerTimeoutMs = headerTimeoutMs;
    this.#lifetimeMs = handshakeMs + headerTimeoutMs + LINGER_MS;
    this.#deps = deps;
    this.#server = createHttpServer({ ...NODE_HTTP_TIMEOUTS_OFF, headersTimeout: headerTimeoutMs, requestTimeout: headerTimeoutMs }, (req, res) => this.#answer(req, res));
    this.#server.on('clientError', (_err: Error, socket: Duplex) => socket.destroy());
  }

  /**
   * A connection no HTTP permit was found for; the caller no longer tracks
   * it. With TLS it is handshaked first, so the 503 arrives over TLS, unless
   * too many refused handshakes already run: then it is closed unanswered.
   */
  refuseConnection(conn: Conn, tls: RefusalHandshake | null): void {
    const line = this.#count('http_session_limit');
    if (conn.closed) return this.#log(line, undefined);
    // This server's own header timeout is never checked (connectionsCheckingInterval is off), and a refused
    // socket is not in the sweep: bound its whole life here, so a silent or trickling client cannot pin it.
    const raw = conn.raw;
    if (line !== null) this.#pending.set(conn, line);
    const timer = setTimeout(() => raw.destroy(), this.#lifetimeMs);
    raw.once('close', () => {
      clearTimeout(timer);
      this.#logPending(conn, undefined);
    });
    const serve = (socket: Socket): void => void this.#server.emit('connection', socket);
    if (tls === null) {
      serve(raw);
      raw.resume();
    } else if (!tls.handshakeRefused(conn, serve)) {
      raw.destroy();
    }
  }

  /** An upgrade no WebSocket permit was found for; the connection closes, releasing its HTTP permit. */
  refuseUpgrade(conn: Conn, context: PropaneRequestContext): void {
    this.#log(this.#count('websocket_session_limit'), context);
    if (conn.closed) return;
    endWithRawResponse(conn.socket, '503 Service Unavailable', BUSY_BODY, this.#busyHeaderPairs('websocket_session_limit', context));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const context = identify(req.headers);
    const conn = connOf(req.socket);
    if (conn) this.#logPending(conn, context);
    res.shouldKeepAlive = false;
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(BUSY_BODY.length), ...Object.fromEntries(this.#busyHeaderPairs('http_session_limit', context)) };
    res.writeHead(503, headers).end(BUSY_BODY);
    res.socket?.setTimeout(LINGER_MS, () => res.socket?.destroy());
  }

  #busyHeaderPairs(reason: RejectReason, context: PropaneRequestContext): Array<readonly [string, string]> {
    return [['Retry-After', '1'], ['X-Arlen-Backpressure-Reason', reason], ...responseHeaderPairs(context, this.#deps.identityHeaders), ...this.#deps.view.headers];
  }

  /** Counts a refusal; returns the log line when the rate limit lets one through, else null. */
  #count(reason: RejectReason): BackpressureLine | null {
    const total = ++this.#deps.counters.rejected[reason];
    const suppressed = this.#rateLimit.admit(reason, Date.now());
    return suppressed >= 0 ? { reason, suppressed_since_last: suppressed, rejected_total: total } : null;
  }

  #logPending(conn: Conn, context: PropaneRequestContext | undefined): void {
    const line = this.#pending.get(conn);
    if (line === undefined) return;
    this.#pending.delete(conn);
    this.#log(line, context);
  }

  #log(line: BackpressureLine | null, context: PropaneRequestContext | undefined): void {
    if (line !== null) logEvent(this.#deps.log, 'warn', 'backpressure', { ...line, ...logFields(context) }, 'session refused: node-wide limit reached');
  }
}
