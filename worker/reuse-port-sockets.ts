import { IPC_SCHEMA_VERSION } from '../contracts/ipc-constants.js';
import type { WorkerToSupervisor } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import type { BoundAddress } from './listeners.js';
import type { WorkerServer } from './server.js';

/**
 * The worker's side of the reuse_port policy (docs/scheduling.md). Once its
 * message listener exists it asks for its slot's listening socket (a handle
 * the supervisor sent earlier would be dropped), then listens on every
 * socket the supervisor sends: its own, and the sockets of slots it adopts
 * while their worker is not ready, until it is told to hand them back.
 */
export class ReusePortSockets {
  readonly #server: WorkerServer;
  readonly #send: (msg: WorkerToSupervisor) => void;
  readonly #log: Logger;
  #own: { resolve: (bound: BoundAddress) => void; reject: (err: Error) => void } | null = null;

  constructor(server: WorkerServer, send: (msg: WorkerToSupervisor) => void, log: Logger) {
    this.#server = server;
    this.#send = send;
    this.#log = log;
  }

  /** Asks for the slot's socket; resolves once this worker accepts on it. */
  listenOwn(): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      this.#own = { resolve, reject };
      this.#send({ type: 'listener_request', schema_version: IPC_SCHEMA_VERSION });
    });
  }

  /** `listener_socket`: the socket came as the message's handle. */
  onSocket(socket: number, adopted: boolean, handle: unknown): void {
    if (typeof handle !== 'object' || handle === null) {
      logEvent(this.#log, 'warn', 'ipc_rejected', { from: 'supervisor', type: 'listener_socket', issue: 'no socket handle attached' }, 'dropped a malformed IPC message');
      return;
    }
    const listening = this.#server.listenOn(socket, handle);
    const own = adopted ? null : this.#own;
    if (own) {
      this.#own = null;
      listening.then(own.resolve, own.reject);
      return;
    }
    // An adopted socket that arrives while draining is closed unused: the supervisor gives it to another worker.
    listening.catch((err: unknown) => this.#log.debug({ err, socket }, 'adopted listening socket not used'));
  }
}
