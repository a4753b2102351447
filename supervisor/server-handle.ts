import net from 'node:net';
import { PropaneError } from '../shared/errors.js';

/**
 * A libuv TCP handle the supervisor holds and never polls, so it never
 * accepts: it only keeps the listening socket open while workers accept on
 * the copies it sends them (the reuse_port sockets, an inherited socket).
 */
export interface TcpHandle {
  close(): void;
}

/**
 * net._createServerHandle(address, port, addressType, fd, flags): the
 * internal that node:cluster's SCHED_NONE path binds its shared socket with,
 * net.Server#listen with its `reusePort` option (Node.js 22.12+), and
 * net.Server#listen({ fd }) wraps an open descriptor with. It returns the
 * handle, or a negative errno.
 */
export type CreateServerHandle = (address: string | undefined, port: number, addressType: 4 | 6, fd: number | undefined, flags: number) => TcpHandle | number;

/** The internal, or PROPANE_ERR_PLATFORM_UNSUPPORTED naming `feature` and its `fix` when this Node.js lacks it. */
export function serverHandleFactory(feature: string, fix: string): CreateServerHandle {
  const create = (net as unknown as { _createServerHandle?: unknown })._createServerHandle;
  if (typeof create !== 'function') {
    throw new PropaneError('PROPANE_ERR_PLATFORM_UNSUPPORTED', `${feature} needs node:net's internal _createServerHandle, which Node.js ${process.version} does not have. Fix: ${fix}`);
  }
  return create as CreateServerHandle;
}
