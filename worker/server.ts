import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../contracts/config.js';
import type { SessionKind } from '../contracts/ipc.js';
import type { Logger } from '../shared/log.js';
import { createServer as createHttpServer } from '../shared/node-http.js';
import type { Admission } from './admission.js';
import type { LoadedApp } from './app-loader.js';
import type { ClusterView } from './cluster-view.js';
import { drainHttpConnections, SHUTDOWN_QUIET_MS } from './connection-drain.js';
import { attachConn, connOf, type Conn } from './connection.js';
import { answerMalformedRequest } from './malformed-http.js';
import { PropaneResponse } from './propane-response.js';
import { Listeners, SHARED_LISTENER, type BoundAddress } from './listeners.js';
import { handleRequest } from './request-handler.js';
import { contextOf } from './request-identity.js';
import { SessionRefusal } from './session-refusal.js';
import type { WorkerCounters } from './stats.js';
import { NODE_HTTP_TIMEOUTS_OFF, TimeoutSweeper } from './timeout-sweeper.js';
import { TlsTermination } from './tls-termination.js';
import { WebSocketHub } from './websocket.js';
import { handleUpgrade, handshakeHeaders, type WebSocketUpgradeDeps } from './websocket-upgrade.js';

export interface WorkerServerDeps {
  config: Config;
  app: LoadedApp;
  view: ClusterView;
  counters: WorkerCounters;
  admission: Record<SessionKind, Admission>;
  log: Logger;
}

/**
 * The worker's server. Its listeners (listeners.ts) accept with
 * `pauseOnConnect`, so no byte is read before the session is admitted
 * against the node-wide limit (docs/session-limits.md); admitted sockets go
 * to the HTTP server, refused ones to the 503 of SessionRefusal. With TLS
 * both go through the handshake of `tls` first (docs/tls.md).
 */
export class WorkerServer {
  /** TLS termination when `tls.certFile` is set; its material comes over IPC before the worker listens. */
  readonly tls: TlsTermination | null;
  readonly #deps: WorkerServerDeps;
  readonly #listeners: Listeners;
  readonly #http: HttpServer;
  readonly #refusal: SessionRefusal;
  readonly #hub: WebSocketHub;
  readonly #sweeper: TimeoutSweeper;
  readonly #conns = new Set<Conn>();
  #draining = false;

  constructor(deps: WorkerServerDeps) {
    this.#deps = deps;
    const { config, app, view, counters, log } = deps;
    const identityHeaders = { identity: config.observability.responseIdentityHeadersEnabled, trace: config.observability.tracePropagationEnabled };
    this.#sweeper = new TimeoutSweeper(config.timeouts, this.#conns, { view, counters, log, identityHeaders });
    const tls = { minVersion: config.tls.minVersion, requestClientCert: config.tls.requestClientCert, handshakeMs: config.timeouts.handshakeSeconds * 1000 };
    this.tls = config.tls.certFile === undefined ? null : new TlsTermination(tls, { counters, log, countTimeout: () => this.#sweeper.count('handshake', undefined) });
    this.#refusal = new SessionRefusal(this.#sweeper.limits.header, this.tls?.refusalHandshakeMs ?? 0, { view, counters, log, identityHeaders });
    this.#sweeper.also((now) => this.#refusal.expire(now));
    this.#hub = new WebSocketHub(
      {
        maxPayloadBytes: config.websocket.maxPayloadBytes,
        pingIntervalMs: config.websocket.pingIntervalSeconds * 1000,
        pongTimeoutMs: config.websocket.pongTimeoutSeconds * 1000,
      },
      (req) => handshakeHeaders(req, identityHeaders, view),
      log,
      (req) => this.#sweeper.count('pong', contextOf(req)),
    );
    const ctx = {
      app,
      view,
      counters,
      log,
      isDraining: () => this.#draining,
      securityHeaders: config.security.securityHeaders,
      identityHeaders,
      trustedProxy: config.security.trustedProxy,
      clusterzToken: config.security.clusterzRequiresToken ? config.status.token : null,
    };
    const upgrade: WebSocketUpgradeDeps = { app, view, counters, admission: deps.admission.websocket, hub: this.#hub, refusal: this.#refusal, releasePermit: (kind) => this.#releasePermit(kind), identityHeaders };
    this.#listeners = new Listeners((socket) => this.#onConnection(socket), (err) => log.error({ err }, 'listener error'));
    this.#http = createHttpServer({ ...NODE_HTTP_TIMEOUTS_OFF, ServerResponse: PropaneResponse }, (req, res) => handleRequest(ctx, connOf(req.socket), req, res));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(upgrade, req, socket as Socket, head));
    this.#http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerMalformedRequest(err, socket as Socket, view.headers));
  }

  /** Listens on host:port through node:cluster (none, round_robin). */
  async listen(host: string, port: number): Promise<BoundAddress> {
    const bound = await this.#listeners.listen(SHARED_LISTENER, { host, port });
    this.#sweeper.start();
    return bound;
  }

  /** reuse_port, socket activation: accepts on a listening socket the supervisor sent (its slot's own or an adopted one, the inherited one). */
  async listenOn(socket: number, handle: object): Promise<BoundAddress> {
    const bound = await this.#listeners.listen(socket, handle);
    this.#sweeper.start();
    return bound;
  }

  /** reuse_port: stops accepting on an adopted socket; the connections it accepted stay. */
  release(socket: number): void {
    this.#listeners.release(socket);
  }

  #onConnection(socket: Socket): void {
    const conn = attachConn(socket, performance.now());
    this.#conns.add(conn);
    socket.on('error', noop);
    socket.once('close', () => this.#onClose(conn));
    const admitted = this.#deps.admission.http.admit((ok) => (ok ? this.#accept(conn) : this.#refuse(conn)));
    if (admitted) this.#accept(conn);
  }

  #accept(conn: Conn): void {
    if (conn.closed) return this.#deps.admission.http.release();
    conn.held = 'http';
    this.#deps.counters.sessions.http++;
    conn.idleSince = performance.now();
    if (this.tls) return this.tls.handshake(conn, (secure) => this.#http.emit('connection', secure));
    this.#http.emit('connection', conn.socket);
    conn.socket.resume();
  }

  #refuse(conn: Conn): void {
    this.#conns.delete(conn);
    this.#refusal.refuseConnection(conn, this.tls);
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

  /**
   * The drain of docs/operations.md: stop accepting, let the supervisor
   * fence off connections already on their way here, finish the HTTP
   * connections within the grace period, then close WebSockets with `closeCode`.
   */
  async drain(graceMs: number, closeCode: 1001 | 1012, fence: () => Promise<void>): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#deps.view.markDraining();
    // Not awaited: net.Server#close calls back only once every connection has
    // ended, and closing those is what the rest of the drain does. Under
    // reuse_port and socket activation this closes this worker's copies of
    // the sockets only.
    this.#listeners.close();
    // With round-robin scheduling the primary may already have sent this worker
    // connection handles that node:cluster hands back once the listener is
    // closed; exiting before they arrive would leave those clients hanging.
    await fence();
    const deadline = performance.now() + graceMs;
    // 1001 is a shutdown: the node is leaving. Otherwise a replacement serves, and idle
    // connections wait for the idle timeout (worker/connection-drain.ts says why).
    const quietMs = closeCode === 1001 ? SHUTDOWN_QUIET_MS : this.#sweeper.limits.idle;
    await drainHttpConnections(this.#conns, deadline, quietMs);
    await this.#hub.closeAll(closeCode, Math.max(100, Math.min(1000, deadline - performance.now())));
  }

  /** Stops everything now; safe to call twice. */
  destroy(): void {
    this.#sweeper.close();
    this.#hub.close();
    this.#listeners.close();
    for (const conn of this.#conns) conn.socket.destroy();
  }
}

function noop(): void {}
