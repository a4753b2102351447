import type { Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { logEvent, type Logger } from '../shared/log.js';
import { createServer as createHttpServer } from '../shared/node-http.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { ClusterView } from './cluster-view.js';
import type { Conn } from './connection.js';
import { BUSY_BODY, endWithRawResponse, LINGER_MS } from './raw-responses.js';
import type { RejectReason, WorkerCounters } from './stats.js';
import { NODE_HTTP_TIMEOUTS_OFF } from './timeout-sweeper.js';

export interface SessionRefusalDeps {
  view: ClusterView;
  counters: WorkerCounters;
  log: Logger;
}

/**
 * Sessions over the node-wide limit get the 503 of docs/session-limits.md
 * ("The refused session"), and no app code runs: a refused connection goes
 * to a second HTTP server that answers whatever request comes; a refused
 * WebSocket upgrade gets the same bytes on its raw socket. Every refusal is
 * counted; the log gets one `backpressure` line per reason per window.
 */
export class SessionRefusal {
  readonly #server: HttpServer;
  readonly #headerTimeoutMs: number;
  readonly #deps: SessionRefusalDeps;
  readonly #rateLimit = new RateLimitedLog(5000);

  constructor(headerTimeoutMs: number, deps: SessionRefusalDeps) {
    this.#headerTimeoutMs = headerTimeoutMs;
    this.#deps = deps;
    this.#server = createHttpServer({ ...NODE_HTTP_TIMEOUTS_OFF, headersTimeout: headerTimeoutMs, requestTimeout: headerTimeoutMs }, (_req, res) => this.#answer(res));
    this.#server.on('clientError', (_err: Error, socket: Duplex) => socket.destroy());
  }

  /** A connection no HTTP permit was found for; the caller no longer tracks it. */
  refuseConnection(conn: Conn): void {
    this.#count('http_session_limit');
    if (conn.closed) return;
    // This server's own header timeout is never checked (connectionsCheckingInterval is off), and a refused
    // socket is not in the sweep: bound its whole life here, so a silent or trickling client cannot pin it.
    const socket = conn.socket;
    const timer = setTimeout(() => socket.destroy(), this.#headerTimeoutMs + LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
    this.#server.emit('connection', socket);
    socket.resume();
  }

  /** An upgrade no WebSocket permit was found for; the connection closes, releasing its HTTP permit. */
  refuseUpgrade(conn: Conn): void {
    this.#count('websocket_session_limit');
    if (conn.closed) return;
    endWithRawResponse(conn.socket, '503 Service Unavailable', BUSY_BODY, busyHeaderPairs('websocket_session_limit', this.#deps.view.headers));
  }

  #answer(res: ServerResponse): void {
    res.shouldKeepAlive = false;
    res.writeHead(503, busyHeaders('http_session_limit', this.#deps.view.headers)).end(BUSY_BODY);
    res.socket?.setTimeout(LINGER_MS, () => res.socket?.destroy());
  }

  #count(reason: RejectReason): void {
    this.#deps.counters.rejected[reason]++;
    const suppressed = this.#rateLimit.admit(reason, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'warn', 'backpressure', { reason, suppressed_since_last: suppressed, rejected_total: this.#deps.counters.rejected[reason] }, 'session refused: node-wide limit reached');
    }
  }
}

function busyHeaderPairs(reason: RejectReason, cluster: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  return [['Retry-After', '1'], ['X-Arlen-Backpressure-Reason', reason], ...cluster];
}

function busyHeaders(reason: RejectReason, cluster: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  return { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(BUSY_BODY.length), ...Object.fromEntries(busyHeaderPairs(reason, cluster)) };
}
