import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { PropaneError } from '../shared/errors.js';

/** libuv's UV_TCP_REUSEPORT (enum uv_tcp_flags in uv.h): bind with SO_REUSEPORT. */
const UV_TCP_REUSEPORT = 2;

/** A libuv TCP handle, bound and not listening: the supervisor never polls it, so it never accepts. */
export interface TcpHandle {
  close(): void;
}

/** The probe's handle, which listens for an instant. */
interface ProbeHandle extends TcpHandle {
  listen(backlog: number): number;
}

/** Where the sockets bind: the config's host, resolved once as net.Server#listen resolves it. */
export interface ListenAddress {
  readonly host: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
}

/**
 * net._createServerHandle(address, port, addressType, fd, flags): the
 * internal that node:cluster's SCHED_NONE path binds its shared socket with,
 * and net.Server#listen with its `reusePort` option (Node.js 22.12+). It
 * returns the bound handle, or a negative errno.
 */
type CreateServerHandle = (address: string, port: number, addressType: 4 | 6, fd: undefined, flags: number) => TcpHandle | number;

function createServerHandle(): CreateServerHandle {
  const create = (net as unknown as { _createServerHandle?: unknown })._createServerHandle;
  if (typeof create !== 'function') {
    throw new PropaneError('PROPANE_ERR_PLATFORM_UNSUPPORTED', `propane.schedulingPolicy reuse_port binds with node:net's internal _createServerHandle, which Node.js ${process.version} does not have. Fix: choose --scheduling-policy none or round_robin.`);
  }
  return create as CreateServerHandle;
}

/**
 * Resolves the host and checks that nothing else holds the port: SO_REUSEPORT
 * sockets of the same user would silently share it (a second propane started
 * on it would take half its connections). A probe without SO_REUSEPORT that
 * listens for an instant fails if anything listens there; Linux defers that
 * conflict from bind() to listen() for sockets with SO_REUSEADDR, which
 * libuv always sets. Nothing of ours listens yet, so the instant costs nothing.
 */
export async function prepareListenAddress(host: string, port: number): Promise<ListenAddress> {
  const create = createServerHandle();
  let resolved: { address: string; family: number };
  try {
    resolved = await lookup(host);
  } catch (err) {
    throw new PropaneError('PROPANE_ERR_LISTEN', `cannot resolve host ${host}: ${(err as NodeJS.ErrnoException).code ?? String(err)}. Fix: give an IP address or a name that resolves, with --host.`);
  }
  const at: ListenAddress = { host, address: resolved.address, family: resolved.family === 6 ? 6 : 4, port };
  const probe = create(at.address, port, at.family, undefined, 0) as ProbeHandle | number;
  if (typeof probe === 'number') throw listenError(at, probe);
  const err = probe.listen(1);
  probe.close();
  if (err) throw listenError(at, err);
  return at;
}

/** One more SO_REUSEPORT socket on the address; throws PROPANE_ERR_LISTEN with the errno's name. */
export function bindReusePort(at: ListenAddress): TcpHandle {
  const handle = createServerHandle()(at.address, at.port, at.family, undefined, UV_TCP_REUSEPORT);
  if (typeof handle === 'number') throw listenError(at, handle);
  return handle;
}

function listenError(at: ListenAddress, errno: number): PropaneError {
  return new PropaneError('PROPANE_ERR_LISTEN', `cannot listen on ${at.host}:${at.port}: ${getSystemErrorName(errno)}. Fix: stop what holds the port, or choose another with --port.`);
}
