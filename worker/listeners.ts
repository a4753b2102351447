import { createServer, type Server, type Socket } from 'node:net';
import { closeAttached } from '../shared/ipc-receiver.js';

export interface BoundAddress {
  address: string;
  port: number;
}

/** The key of the one listener under the node:cluster policies (none, round_robin). */
export const SHARED_LISTENER = -1;

/**
 * The net servers a worker accepts on, every one with `pauseOnConnect` and
 * the same connection handler, so admission, limits, refusals and timeouts
 * do not depend on where a connection came from. Under `none` and
 * `round_robin` there is one, listening on host:port through node:cluster.
 * Under `reuse_port` there is one per listening socket the supervisor sent
 * (docs/scheduling.md): the slot's own, and any adopted one, keyed by the
 * supervisor's socket id. Closing one closes this worker's copy of the
 * socket, never the socket: the supervisor keeps it open.
 */
export class Listeners {
  readonly #servers = new Map<number, Server>();
  readonly #onConnection: (socket: Socket) => void;
  readonly #onError: (err: Error) => void;
  #closed = false;

  constructor(onConnection: (socket: Socket) => void, onError: (err: Error) => void) {
    this.#onConnection = onConnection;
    this.#onError = onError;
  }

  /** Listens on host:port (node:cluster) or on a listening socket's handle; once closed, a handle is closed at once and this rejects. */
  listen(key: number, target: { host: string; port: number } | object): Promise<BoundAddress> {
    if (this.#closed || this.#servers.has(key)) {
      if (!('port' in target)) closeAttached(target);
      return Promise.reject(new Error(this.#closed ? 'the worker is draining: it accepts nothing more' : `already listening on socket ${key}`));
    }
    const server = createServer({ pauseOnConnect: true }, this.#onConnection);
    this.#servers.set(key, server);
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => {
        if (this.#servers.get(key) === server) this.#servers.delete(key);
        reject(err);
      };
      server.once('error', fail);
      const onListening = (): void => {
        server.off('error', fail);
        server.on('error', this.#onError);
        const addr = server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error(`unexpected listen address ${String(addr)}`));
        resolve({ address: addr.address, port: addr.port });
      };
      try {
        server.listen(target, onListening);
      } catch (err) {
        // A handle net.Server cannot listen on throws rather than emitting 'error'.
        fail(err as Error);
      }
    });
  }

  /** Stops accepting on one listener (an adopted socket handed back). */
  release(key: number): void {
    this.#servers.get(key)?.close();
    this.#servers.delete(key);
  }

  /** Stops accepting on every listener; connections already accepted are not touched. Safe twice. */
  close(): void {
    this.#closed = true;
    for (const server of this.#servers.values()) server.close();
    this.#servers.clear();
  }
}
