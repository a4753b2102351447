import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_SCHEMA_VERSION } from '../contracts/status.js';
import { bearerMatches } from '../shared/bearer.js';
import { PropaneError, type ErrorCode } from '../shared/errors.js';
import { logEvent, type Logger } from '../shared/log.js';
import { createServer } from '../shared/node-http.js';
import { RateLimitedLog } from '../shared/rate-limited-log.js';

export interface StatusHandlers {
  status(): Promise<unknown>;
  metrics(): Promise<string>;
  reload(): Promise<{ outcome: 'completed' | 'refused' | 'aborted' }>;
  stop(): void;
}

export interface StatusServerOptions {
  socketPath: string;
  tcp: { host: string; port: number } | null;
  token: string | null;
  readsRequireToken: boolean;
}

type Transport = 'unix' | 'tcp';

const RELOAD_STATUS = { completed: 200, refused: 409, aborted: 500 } as const;

/**
 * The status API (README, "Status socket"): HTTP/1.1 on a Unix socket (mode
 * 0600), optionally on loopback TCP where control needs the bearer token. It
 * reads what the supervisor holds, after at most a short wait for the
 * workers' session counts, so it answers while workers are saturated.
 */
export class StatusServer {
  readonly #handlers: StatusHandlers;
  readonly #opts: StatusServerOptions;
  readonly #log: Logger;
  readonly #servers: Server[] = [];
  readonly #rejections = new RateLimitedLog(10_000);
  #socketOwned = false;
  tcpPort: number | null = null;

  constructor(handlers: StatusHandlers, opts: StatusServerOptions, log: Logger) {
    this.#handlers = handlers;
    this.#opts = opts;
    this.#log = log;
  }

  async listen(): Promise<void> {
    await clearStaleSocket(this.#opts.socketPath);
    const unix = this.#create('unix');
    // Bind with a strict umask so the socket is never reachable by others, not even briefly.
    const umask = process.umask(0o177);
    try {
      await listenOn(unix, { path: this.#opts.socketPath });
    } finally {
      process.umask(umask);
    }
    this.#socketOwned = true;
    chmodSync(this.#opts.socketPath, 0o600);
    logEvent(this.#log, 'info', 'status_listening', { socket: this.#opts.socketPath }, 'status socket listening');
    if (this.#opts.tcp) {
      const tcp = this.#create('tcp');
      await listenOn(tcp, { host: this.#opts.tcp.host, port: this.#opts.tcp.port });
      const addr = tcp.address();
      this.tcpPort = typeof addr === 'object' && addr ? addr.port : null;
      logEvent(this.#log, 'info', 'status_listening', { host: this.#opts.tcp.host, port: this.tcpPort }, 'status TCP listener up');
    }
  }

  /** Closes the listeners and removes the socket file; safe to call twice. */
  async close(): Promise<void> {
    const servers = this.#servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    })));
    if (this.#socketOwned) {
      this.#socketOwned = false;
      try {
        unlinkSync(this.#opts.socketPath);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }

  #create(transport: Transport): Server {
    const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
      this.#route(transport, req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'status request failed');
        if (!res.headersSent) sendJson(res, 500, errorBody('PROPANE_ERR_STATUS_BAD_RESPONSE', 'internal error'));
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      this.#reject(transport, `malformed request (${err.code ?? err.message})`);
      if (!socket.writable) return void socket.destroy();
      const body = JSON.stringify(errorBody('PROPANE_ERR_USAGE', 'malformed HTTP request'));
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 1}\r\nConnection: close\r\n\r\n${body}\n`);
    });
    this.#servers.push(server);
    return server;
  }

  async #route(transport: Transport, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const isControl = path === '/reload' || path === '/stop';
    if (transport === 'tcp' && (isControl || this.#opts.readsRequireToken)) {
      if (this.#opts.token === null || !bearerMatches(req.headers.authorization, this.#opts.token)) {
        this.#reject(transport, `unauthorized ${method} ${path}`);
        res.setHeader('WWW-Authenticate', 'Bearer');
        return sendJson(res, 401, errorBody('PROPANE_ERR_USAGE', this.#opts.token === null ? 'control over TCP needs status.token to be configured' : 'missing or wrong bearer token'));
      }
    }
    const routes: Record<string, { method: string; run: () => Promise<void> | void }> = {
      '/status': { method: 'GET', run: async () => sendJson(res, 200, await this.#handlers.status()) },
      '/metrics': {
        method: 'GET',
        run: async () => {
          const text = await this.#handlers.metrics();
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
        },
      },
      '/reload': {
        method: 'POST',
        run: async () => {
          const result = await this.#handlers.reload();
          sendJson(res, RELOAD_STATUS[result.outcome], result);
        },
      },
      '/stop': {
        method: 'POST',
        run: () => {
          sendJson(res, 202, { schema_version: STATUS_SCHEMA_VERSION, state: 'stopping' });
          res.once('finish', () => this.#handlers.stop());
        },
      },
    };
    const route = path === undefined ? undefined : routes[path];
    if (!route) return sendJson(res, 404, errorBody('PROPANE_ERR_USAGE', `no endpoint ${path ?? ''}; try GET /status, GET /metrics, POST /reload or POST /stop`));
    if (method !== route.method && !(method === 'HEAD' && route.method === 'GET')) {
      res.setHeader('Allow', route.method);
      return sendJson(res, 405, errorBody('PROPANE_ERR_USAGE', `${path} takes ${route.method}, not ${method}`));
    }
    await route.run();
  }

  #reject(transport: Transport, why: string): void {
    const suppressed = this.#rejections.admit(transport, Date.now());
    if (suppressed >= 0) logEvent(this.#log, 'warn', 'status_request_rejected', { transport, why, suppressed_since_last: suppressed }, 'status request rejected');
  }
}

function errorBody(code: ErrorCode, message: string) {
  return { schema_version: STATUS_SCHEMA_VERSION, error: { code, message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

function listenOn(server: Server, where: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A socket file left by a dead supervisor is replaced; one a live supervisor
 * answers on is refused; anything that is not a socket is never deleted.
 */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) {
    throw new PropaneError('PROPANE_ERR_STATUS_SOCKET_PATH', `status.socket ${path} exists and is not a socket. Fix: remove it or choose another path with --status-socket.`);
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new PropaneError('PROPANE_ERR_STATUS_SOCKET_IN_USE', `status.socket ${path} is in use by a running supervisor. Fix: stop it with propane stop --status-socket ${path}, or choose another path with --status-socket.`);
  }
  unlinkSync(path);
}
