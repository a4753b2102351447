import type { Socket } from 'node:net';
import type * as Tls from 'node:tls';
import type { TicketKeys } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';
import { adoptSecureSocket, connOf, type Conn } from './connection.js';
import { classifyHandshakeFailure } from './handshake-failures.js';
import type { WorkerCounters } from './stats.js';
import { createTlsServer, type TlsMaterialMessage, type TlsSettings } from './tls-context.js';

/**
 * Refused connections get the 503 over TLS, which costs a handshake and
 * TLS state the session limit does not cover; at most this many are open at
 * once per worker, each given REFUSAL_HANDSHAKE_MS (or handshakeSeconds, if
 * shorter) for its handshake and as much for its head, cut by the timeout
 * sweep (worker/session-refusal.ts). Past the bound a refused connection is
 * closed without one (docs/tls.md, "Over the session limit").
 */
export const MAX_REFUSED_TLS_CONNECTIONS = 16;
export const REFUSAL_HANDSHAKE_MS = 2000;

export interface TlsTerminationDeps {
  counters: WorkerCounters;
  log: Logger;
  /** Counts and logs a handshake timeout, as the timeout sweep counts its own. */
  countTimeout: () => void;
}

interface Route {
  serve: (secure: Socket) => void;
  /** Refused sessions are counted once, as rejections; their handshake failures are not counted again. */
  refused: boolean;
}

/**
 * TLS on a worker's listener (docs/tls.md, "Why the workers terminate TLS"):
 * each accepted socket is admitted first and only then handed to the
 * tls.Server, so a handshake flood is held to the session limit; the
 * TLSSocket that comes out of a handshake goes to the HTTP server or, for a
 * refused session, to the 503. Failed handshakes are classified and counted.
 */
export class TlsTermination {
  readonly #settings: TlsSettings;
  readonly #deps: TlsTerminationDeps;
  readonly #routes = new WeakMap<Socket, Route>();
  readonly #rateLimit = new RateLimitedLog(5000);
  #server: Tls.Server | null = null;
  #keys: TicketKeys | null = null;
  #material: ((err?: Error) => void) | null = null;
  #refusedOpen = 0;

  constructor(settings: TlsSettings, deps: TlsTerminationDeps) {
    this.#settings = settings;
    this.#deps = deps;
  }

  /** How long a refused connection's handshake may take before it is cut. */
  get refusalHandshakeMs(): number {
    return Math.min(REFUSAL_HANDSHAKE_MS, this.#settings.handshakeMs);
  }

  /** Asks the supervisor for the certificates and ticket keys with `request`; resolves once the TLS server is built. */
  receive(request: () => void): Promise<void> {
    if (this.#server) return Promise.resolve();
    const received = new Promise<void>((resolve, reject) => (this.#material = (err) => (err ? reject(err) : resolve())));
    request();
    return received;
  }

  /** The supervisor's answer to the request; a worker builds its TLS server once. */
  onMaterial(msg: TlsMaterialMessage): void {
    if (this.#server) return;
    if (this.#keys === null || this.#keys.generation < msg.ticket_keys.generation) this.#keys = msg.ticket_keys;
    try {
      const server = createTlsServer(this.#settings, msg, Buffer.from(this.#keys.keys, 'base64'));
      server.on('secureConnection', (secure: Tls.TLSSocket) => this.#onSecure(secure));
      server.on('tlsClientError', (err: NodeJS.ErrnoException, secure: Tls.TLSSocket) => this.#onClientError(err, secure));
      this.#server = server;
      this.#material?.();
    } catch (err) {
      this.#material?.(err as Error);
    }
  }

  /** Rotated ticket keys; older ones that arrive late are ignored. */
  onTicketKeys(keys: TicketKeys): void {
    if (this.#keys !== null && this.#keys.generation >= keys.generation) return;
    this.#keys = keys;
    this.#server?.setTicketKeys(Buffer.from(keys.keys, 'base64'));
  }

  /** An admitted connection: the handshake runs under handshakeSeconds, then `serve` gets the TLSSocket. */
  handshake(conn: Conn, serve: (secure: Socket) => void): void {
    this.#start(conn, { serve, refused: false });
  }

  /**
   * A refused connection, so that its 503 arrives over TLS; false when
   * MAX_REFUSED_TLS_CONNECTIONS refused connections are already open (the caller
   * closes it). Each holds its place until it closes, after its answer too:
   * a client that completes the handshake and then sends nothing holds TLS
   * state as a handshaking one does. The caller cuts it after
   * refusalHandshakeMs for the handshake and as much again for the head: no
   * timer here.
   */
  handshakeRefused(conn: Conn, serve: (secure: Socket) => void): boolean {
    if (this.#refusedOpen >= MAX_REFUSED_TLS_CONNECTIONS) return false;
    this.#refusedOpen++;
    conn.raw.once('close', () => this.#refusedOpen--);
    this.#start(conn, { serve, refused: true });
    return true;
  }

  #start(conn: Conn, route: Route): void {
    if (!this.#server) throw new Error('a TLS connection before the TLS material arrived');
    conn.handshaking = true;
    this.#routes.set(conn.raw, route);
    // The TLS wrap reads the paused socket's handle itself; no resume().
    this.#server.emit('connection', conn.raw);
  }

  #onSecure(secure: Tls.TLSSocket): void {
    const raw = parentOf(secure);
    const conn = raw && connOf(raw);
    const route = raw && this.#routes.get(raw);
    if (!conn || !route) {
      // Only if Node stopped setting TLSSocket#_parent (tests/unit/worker/tls-termination.test.ts pins it).
      logEvent(this.#deps.log, 'error', 'tls_handshake_failed', { reason: 'internal', code: 'NO_PARENT_SOCKET' }, 'a TLS socket without its accepted socket; closed');
      secure.destroy();
      return;
    }
    this.#routes.delete(raw);
    adoptSecureSocket(conn, secure, performance.now());
    route.serve(secure);
  }

  #onClientError(err: NodeJS.ErrnoException, secure: Tls.TLSSocket): void {
    // tls.Server leaves the socket open after a failure, a handshake timeout included (https.Server closes it).
    secure.destroy();
    const raw = parentOf(secure);
    const route = raw && this.#routes.get(raw);
    if (raw) this.#routes.delete(raw);
    if (route?.refused) return;
    const outcome = classifyHandshakeFailure({ code: err.code, authorizationError: secure.authorizationError, rawBytesRead: raw?.bytesRead ?? 0, rawBytesWritten: raw?.bytesWritten ?? 0 });
    if (outcome === null) return;
    if (outcome === 'timeout') return this.#deps.countTimeout();
    const total = ++this.#deps.counters.tlsHandshakeFailures[outcome];
    const suppressed = this.#rateLimit.admit(outcome, Date.now());
    if (suppressed >= 0) {
      logEvent(this.#deps.log, 'info', 'tls_handshake_failed', { reason: outcome, code: err.code, suppressed_since_last: suppressed, failures_total: total }, `TLS handshake failed (${outcome})`);
    }
  }
}

/** The accepted socket a TLSSocket wraps. Node keeps it only in the private `_parent`; there is no public accessor. */
export function parentOf(secure: Tls.TLSSocket): Socket | undefined {
  return (secure as Tls.TLSSocket & { _parent?: Socket | null })._parent ?? undefined;
}
