import { getSystemErrorName } from 'node:util';
import { IPC_SCHEMA_VERSION } from '../contracts/ipc.js';
import { PropaneError } from '../shared/errors.js';
import type { SocketHandover } from './listener-sockets.js';
import { serverHandleFactory, type TcpHandle } from './server-handle.js';
import type { WorkerProcess } from './worker-process.js';

/** The inherited handle: getsockname fills `out` and returns 0, or a negative errno. */
interface InheritedHandle extends TcpHandle {
  getsockname(out: { address?: string; port?: number }): number;
}

/** The id of the one socket in `listener_socket` messages. */
const INHERITED_SOCKET_ID = 0;

/**
 * The listening socket a service manager passed (docs/deploy.md, "Socket
 * activation"). The supervisor wraps it in a handle it never polls, so it
 * never accepts, and sends a copy to every worker that asks: all workers
 * accept on the one socket, as under `none`, with the kernel picking which.
 * The supervisor's copy keeps the socket open whatever the workers do: a
 * worker that drains or dies closes only its own copy, and connections
 * wait in the socket's queue for the next worker, so a reload or a crash
 * fails none. Never `listen({ fd })` through node:cluster instead: it
 * closes the socket when its last worker exits, and the port is gone.
 */
export class InheritedSocket implements SocketHandover {
  readonly address: string;
  readonly port: number;
  #handle: TcpHandle | null;
  readonly #sentTo = new WeakSet<WorkerProcess>();

  private constructor(handle: InheritedHandle, address: string, port: number) {
    this.#handle = handle;
    this.address = address;
    this.port = port;
  }

  /** Wraps `fd`, which must be a listening TCP socket (listen-fd.ts checked it); throws PROPANE_ERR_SOCKET_ACTIVATION with the errno's name. */
  static wrap(fd: number): InheritedSocket {
    const create = serverHandleFactory('socket activation', 'start propane without LISTEN_FDS, binding its own socket.');
    const handle = create(undefined, 0, 4, fd, 0) as InheritedHandle | number;
    if (typeof handle === 'number') throw wrapError(fd, handle);
    const out: { address?: string; port?: number } = {};
    const err = handle.getsockname(out);
    if (err !== 0 || out.address === undefined || out.port === undefined) {
      handle.close();
      throw wrapError(fd, err);
    }
    return new InheritedSocket(handle, out.address, out.port);
  }

  /** Nothing to bind: the service manager did. */
  async open(): Promise<void> {}

  /**
   * The worker is ready to listen: it gets the socket, once (a repeated request would pile up descriptors
   * in the worker and handles queued here). After close(), nothing: the node is stopping.
   */
  onRequest(wp: WorkerProcess): void {
    if (this.#handle === null || this.#sentTo.has(wp)) return;
    this.#sentTo.add(wp);
    wp.sendWithHandle({ type: 'listener_socket', schema_version: IPC_SCHEMA_VERSION, socket: INHERITED_SOCKET_ID, adopted: false }, this.#handle);
  }

  /** Every worker accepts on the one socket: there is nothing to hand around. */
  rebalance(): void {}

  /** Closes the supervisor's copy (shutdown): the socket closes once the workers' copies are closed too, unless the service manager holds one. Safe twice. */
  close(): void {
    this.#handle?.close();
    this.#handle = null;
  }
}

function wrapError(fd: number, errno: number): PropaneError {
  const why = errno < 0 ? getSystemErrorName(errno) : 'it has no address';
  return new PropaneError('PROPANE_ERR_SOCKET_ACTIVATION', `the listening socket passed as fd ${fd} (LISTEN_FDS) cannot be used: ${why}. Fix: check the .socket unit's ListenStream=, or start propane without socket activation.`);
}
