import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../shared/log.js';
import { logEvent } from '../shared/log.js';

export interface WebSocketSettings {
  maxPayloadBytes: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
}

interface Peer {
  awaitingPongSince: number;
  /** The upgrade request, whose ids a pong timeout is logged with. */
  req: IncomingMessage;
}

/**
 * WebSocket sessions on `ws` (docs/endpoints.md, "WebSocket"): ws enforces
 * maxPayload with close 1009 and answers bad frames with the RFC 6455 codes;
 * this adds the ping/pong liveness check and the drain's close code.
 */
export class WebSocketHub {
  #wss: WebSocketServer | undefined;
  readonly #extraHeaders: (req: IncomingMessage) => ReadonlyArray<readonly [string, string]>;
  readonly #peers = new Map<WebSocket, Peer>();
  readonly #settings: WebSocketSettings;
  readonly #log: Logger;
  readonly #onPongTimeout: (req: IncomingMessage) => void;
  #pingTimer: NodeJS.Timeout | undefined;

  constructor(settings: WebSocketSettings, extraHeaders: (req: IncomingMessage) => ReadonlyArray<readonly [string, string]>, log: Logger, onPongTimeout: (req: IncomingMessage) => void) {
    this.#settings = settings;
    this.#log = log;
    this.#onPongTimeout = onPongTimeout;
    this.#extraHeaders = extraHeaders;
  }

  /**
   * ws is loaded at the first upgrade, not at boot: with the tls, https and
   * zlib it requires it costs a worker 17-40 ms of CPU and 10-12 MB before
   * it is ready (bench/RESULTS.md, "Worker cold start"), and most workers
   * never see an upgrade. The first handshake pays ~8 ms once.
   */
  #server(): WebSocketServer {
    if (this.#wss) return this.#wss;
    const ws = createRequire(import.meta.url)('ws') as typeof import('ws');
    const wss = new ws.WebSocketServer({ noServer: true, maxPayload: this.#settings.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
    wss.on('headers', (headers: string[], req: IncomingMessage) => {
      for (const [name, value] of this.#extraHeaders(req)) headers.push(`${name}: ${value}`);
    });
    return (this.#wss = wss);
  }

  /** Completes the handshake; `onOpen` runs only when it succeeded (ws answers bad handshakes itself). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onOpen: (ws: WebSocket) => void): void {
    this.#server().handleUpgrade(req, socket, head, (ws) => {
      const peer: Peer = { awaitingPongSince: 0, req };
      this.#peers.set(ws, peer);
      ws.on('pong', () => void (peer.awaitingPongSince = 0));
      ws.on('error', (err) => logEvent(this.#log, 'debug', 'websocket_error', { err: err.message, code: (err as { code?: string }).code }, 'websocket error'));
      ws.once('close', () => this.#peers.delete(ws));
      this.#pingTimer ??= setInterval(() => this.#pingRound(), this.#settings.pingIntervalMs).unref();
      onOpen(ws);
    });
  }

  #pingRound(): void {
    const now = performance.now();
    for (const [ws, peer] of this.#peers) {
      if (peer.awaitingPongSince !== 0 && now - peer.awaitingPongSince >= this.#settings.pongTimeoutMs) {
        this.#cut(ws, peer);
        continue;
      }
      if (peer.awaitingPongSince === 0) peer.awaitingPongSince = now;
      ws.ping();
    }
    setTimeout(() => this.#checkPongs(), this.#settings.pongTimeoutMs).unref();
  }

  #checkPongs(): void {
    const now = performance.now();
    for (const [ws, peer] of this.#peers) {
      if (peer.awaitingPongSince !== 0 && now - peer.awaitingPongSince >= this.#settings.pongTimeoutMs - 1) this.#cut(ws, peer);
    }
  }

  /**
   * A peer that missed its pong, counted once: ws emits 'close' only once the
   * socket has closed, a TLS socket some ticks after terminate(), and the next
   * ping round or pong check must not find it again meanwhile.
   */
  #cut(ws: WebSocket, peer: Peer): void {
    this.#peers.delete(ws);
    this.#onPongTimeout(peer.req);
    ws.terminate();
  }

  /** Closes every session with `code` and waits for the close handshakes, at most `waitMs`. */
  async closeAll(code: 1001 | 1012, waitMs: number): Promise<void> {
    const open = [...this.#peers.keys()];
    const closed = open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const ws of open) ws.close(code, code === 1012 ? 'service restart' : 'going away');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    for (const ws of this.#peers.keys()) ws.terminate();
  }

  close(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#wss?.close();
  }
}
