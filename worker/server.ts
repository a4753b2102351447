import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../contracts/config.js';
import type { SessionKind } from '../contracts/ipc.js';
import type { Logger } from '../shared/log.js';
import { logEvent } from '../shared/log.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import type { Admission } from './admission.js';
import type { LoadedApp } from './app-loader.js';
import type { ClusterView } from './cluster-view.js';
import { attachConn, connOf, type Conn } from './connection.js';
import { PropaneResponse } from './propane-response.js';
import { handleRequest, type RequestContext } from './request-handler.js';
import { BUSY_BODY, TIMEOUT_BODY, rawResponse } from './raw-responses.js';
import type { RejectReason, TimeoutReason, WorkerCounters } from './stats.js';
import { sweepIntervalMs, sweepTimeouts, type TimeoutLimitsMs } from './timeouts.js';
import { WebSocketHub } from './websocket.js';

export interface WorkerServerDeps {
  config: Config;
  app: LoadedApp;
  view: ClusterView;
  counters: WorkerCounters;
  admission: Record<SessionKind, Admission>;
  log: Logger;
}

/**
 * A connection idle this long during a drain is closed. Closing an idle
 * keep-alive socket races a client that reuses it at that instant (HTTP/1.1
 * has no way around it); client pools reuse their most recent socket first,
 * so a socket quiet for a second is rarely the one picked next, while busy
 * connections are answered with Connection: close instead of being closed.
 * 250 ms still let a bursty pooled client hit the race in our reload test.
 */
const DRAIN_QUIET_MS = 1000;
const DRAIN_SWEEP_MS = 50;
/** How long a refused or timed-out socket may linger to read the client's bytes before it is destroyed. */
const LINGER_MS = 2000;

/**
 * The worker's listener. A net server accepts with `pauseOnConnect`, so no
 * byte is read before the session is admitted against the node-wide limit;
 * admitted sockets go to the HTTP server, refused ones to a second HTTP
 * server that answers every request with the 503 of SPEC section 7.
 */
export class WorkerServer {
  readonly #deps: WorkerServerDeps;
  readonly #listener: NetServer;
  readonly #http: HttpServer;
  readonly #refuser: HttpServer;
  readonly #hub: WebSocketHub;
  readonly #conns = new Set<Conn>();
  readonly #limits: TimeoutLimitsMs;
  readonly #ctx: RequestContext;
  readonly #backpressureLog = new RateLimitedLog(5000);
  readonly #timeoutLog = new RateLimitedLog(5000);
  #sweepTimer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(deps: WorkerServerDeps) {
    this.#deps = deps;
    const { config } = deps;
    this.#limits = {
      header: config.timeouts.headerSeconds * 1000,
      body: config.timeouts.bodySeconds * 1000,
      idle: config.timeouts.idleSeconds * 1000,
      write: config.timeouts.writeSeconds * 1000,
    };
    this.#ctx = {
      app: deps.app,
      view: deps.view,
      counters: deps.counters,
      log: deps.log,
      isDraining: () => this.#draining,
      securityHeaders: config.security.securityHeaders,
      trustedProxy: config.security.trustedProxy,
      clusterzToken: config.security.clusterzRequiresToken ? config.status.token : null,
    };
    this.#listener = createNetServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket));
    // Our sweep owns every timeout, so it can answer with the 408 of SPEC section 8 and count the reason.
    const httpOptions = { requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 };
    this.#http = createHttpServer({ ...httpOptions, ServerResponse: PropaneResponse }, (req, res) => handleRequest(this.#ctx, connOf(req.socket), req, res));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket as Socket, head));
    this.#http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(err, socket));
    this.#refuser = createHttpServer({ ...httpOptions, headersTimeout: this.#limits.header, requestTimeout: this.#limits.header }, (_req, res) => this.#answerBusy(res));
    this.#refuser.on('clientError', (_err: Error, socket: Duplex) => socket.destroy());
    this.#hub = new WebSocketHub(
      {
        maxPayloadBytes: config.websocket.maxPayloadBytes,
        pingIntervalMs: config.websocket.pingIntervalSeconds * 1000,
        pongTimeoutMs: config.websocket.pongTimeoutSeconds * 1000,
      },
      () => deps.view.headers,
      deps.log,
      () => this.#countTimeout('pong'),
    );
  }

  listen(host: string, port: number): Promise<{ address: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen({ host, port }, () => {
        this.#listener.off('error', reject);
        this.#listener.on('error', (err) => this.#deps.log.error({ err }, 'listener error'));
        const addr = this.#listener.address();
        if (addr === null || typeof addr === 'string') return reject(new Error(`unexpected listen address ${String(addr)}`));
        this.#sweepTimer = setInterval(() => this.#sweep(), sweepIntervalMs(this.#limits)).unref();
        resolve({ address: addr.address, port: addr.port });
      });
    });
  }

  #onConnection(socket: Socket): void {
    const conn = attachConn(socket, performance.now());
    this.#conns.add(conn);
    socket.on('error', noop);
    socket.once('close', () => this.#onClose(conn));
    const admitted = this.#deps.admission.http.admit((ok) => (ok ? this.#accept(conn) : this.#refuse(conn, 'http_session_limit')));
    if (admitted) this.#accept(conn);
  }

  #accept(conn: Conn): void {
    if (conn.closed) return this.#deps.admission.http.release();
    conn.held = 'http';
    this.#deps.counters.sessions.http++;
    conn.idleSince = performance.now();
    this.#http.emit('connection', conn.socket);
    conn.socket.resume();
  }

  #refuse(conn: Conn, reason: RejectReason): void {
    this.#countRejection(reason);
    if (conn.closed) return;
    this.#conns.delete(conn);
    // The refuser's own header timeout is never checked (connectionsCheckingInterval is off), and a refused
    // socket is not in the sweep: bound its whole life here, so a silent or trickling client cannot pin it.
    const socket = conn.socket;
    const timer = setTimeout(() => socket.destroy(), this.#limits.header + LINGER_MS);
    socket.once('close', () => clearTimeout(timer));
    this.#refuser.emit('connection', socket);
    socket.resume();
  }

  #answerBusy(res: ServerResponse): void {
    res.shouldKeepAlive = false;
    res.writeHead(503, busyHeaders('http_session_limit', this.#deps.view.headers)).end(BUSY_BODY);
    res.socket?.setTimeout(LINGER_MS, () => res.socket?.destroy());
  }

  #onClose(conn: Conn): void {
    conn.closed = true;
    this.#conns.delete(conn);
    if (conn.pendingWebSocketPermit) this.#releasePermit('websocket');
    if (conn.held) this.#releasePermit(conn.held);
    conn.held = null;
    conn.pendingWebSocketPermit = false;
  }

  #releasePermit(kind: SessionKind): void {
    this.#deps.counters.sessions[kind]--;
    this.#deps.admission[kind].release();
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const conn = connOf(socket);
    const { app, view, admission } = this.#deps;
    if (!conn || !app.websocket || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end(rawResponse('404 Not Found', 'no websocket here\n', view.headers));
      return;
    }
    conn.upgraded = true;
    const open = (): void => {
      if (conn.closed) return admission.websocket.release();
      conn.pendingWebSocketPermit = true;
      this.#deps.counters.sessions.websocket++;
      this.#hub.upgrade(req, socket, head, (ws) => {
        conn.pendingWebSocketPermit = false;
        if (conn.held === 'http') this.#releasePermit('http');
        conn.held = 'websocket';
        app.websocket!(ws, req);
      });
    };
    const admitted = admission.websocket.admit((ok) => (ok ? open() : this.#refuseUpgrade(conn)));
    if (admitted) open();
  }

  #refuseUpgrade(conn: Conn): void {
    this.#countRejection('websocket_session_limit');
    if (conn.closed) return;
    conn.socket.end(rawResponse('503 Service Unavailable', BUSY_BODY, busyHeaderPairs('websocket_session_limit', this.#deps.view.headers)));
    conn.socket.setTimeout(LINGER_MS, () => conn.socket.destroy());
  }

  /**
   * Malformed HTTP (SPEC section 12): a clear 400, or 431 for oversized
   * headers, then close; the worker keeps serving. When a response is already
   * on the wire, more bytes would corrupt it, so the socket is just closed.
   */
  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const midResponse = connOf(socket as Socket)?.res?.headersSent ?? false;
    if (!socket.writable || midResponse || err.code === 'ECONNRESET') return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(rawResponse(status, tooLarge ? 'request header fields too large\n' : 'bad request\n', this.#deps.view.headers));
    (socket as Socket).setTimeout?.(LINGER_MS, () => socket.destroy());
  }

  #countRejection(reason: RejectReason): void {
    this.#deps.counters.rejected[reason]++;
    const suppressed = this.#backpressureLog.admit(reason, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'warn', 'backpressure', { reason, suppressed_since_last: suppressed, rejected_total: this.#deps.counters.rejected[reason] }, 'session refused: node-wide limit reached');
    }
  }

  /** Every cut is counted; the log gets one line per reason per window, so a slowloris flood stays a few lines. */
  #countTimeout(reason: TimeoutReason): void {
    const total = ++this.#deps.counters.timeouts[reason];
    const suppressed = this.#timeoutLog.admit(reason, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'info', 'timeout', { reason, suppressed_since_last: suppressed, timeouts_total: total }, `connection timed out (${reason})`);
    }
  }

  #sweep(): void {
    for (const { conn, reason, answer408 } of sweepTimeouts(this.#conns, performance.now(), this.#limits)) {
      this.#countTimeout(reason);
      conn.closed = true;
      if (answer408 && conn.socket.writable) {
        const pairs: Array<readonly [string, string]> = [['X-Arlen-Timeout-Reason', reason], ...this.#deps.view.headers];
        conn.socket.end(rawResponse('408 Request Timeout', TIMEOUT_BODY, pairs));
        conn.socket.setTimeout(LINGER_MS, () => conn.socket.destroy());
      } else {
        conn.socket.destroy();
      }
    }
  }

  /**
   * SPEC section 6: stop accepting, answer what is in flight with
   * `Connection: close`, close connections once idle, wait up to the grace
   * period, then close WebSockets with `closeCode`.
   */
  async drain(graceMs: number, closeCode: 1001 | 1012, fence: () => Promise<void>): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#deps.view.markDraining();
    // Not awaited: net.Server#close calls back only once every connection has
    // ended, and closing those is what the rest of the drain does.
    this.#listener.close();
    // With round-robin scheduling the primary may already have sent this worker
    // connection handles that node:cluster hands back once the listener is
    // closed; exiting before they arrive would leave those clients hanging.
    await fence();
    for (const conn of this.#conns) if (conn.res && !conn.res.headersSent) conn.res.shouldKeepAlive = false;
    const deadline = performance.now() + graceMs;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        let open = 0;
        for (const conn of this.#conns) {
          if (conn.upgraded || conn.closed) continue;
          // A socket still waiting for its permit is paused, so it reads nothing: not quiet, just not started.
          const quiet = conn.held !== null && !conn.req && conn.socket.bytesRead === conn.bytesReadAtIdle && now - conn.idleSince >= DRAIN_QUIET_MS;
          if (quiet) conn.socket.end();
          else open++;
        }
        if (open === 0 || now >= deadline) return resolve();
        setTimeout(tick, DRAIN_SWEEP_MS);
      };
      tick();
    });
    for (const conn of this.#conns) if (!conn.upgraded) conn.socket.destroy();
    await this.#hub.closeAll(closeCode, Math.max(100, Math.min(1000, deadline - performance.now())));
  }

  /** Stops everything now; safe to call twice. */
  destroy(): void {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#hub.close();
    this.#listener.close();
    for (const conn of this.#conns) conn.socket.destroy();
  }
}

function busyHeaderPairs(reason: RejectReason, cluster: ReadonlyArray<readonly [string, string]>): Array<readonly [string, string]> {
  return [['Retry-After', '1'], ['X-Arlen-Backpressure-Reason', reason], ...cluster];
}

function busyHeaders(reason: RejectReason, cluster: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  return { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(BUSY_BODY.length), ...Object.fromEntries(busyHeaderPairs(reason, cluster)) };
}

function noop(): void {}
