import { lookup } from 'node:dns/promises';
import type { Config } from '../contracts/config.js';
import { sourceOf, type Sources } from '../shared/config/layers.js';
import type { LoadedConfig } from '../shared/config/load.js';
import { ConfigErrors, PropaneError } from '../shared/errors.js';
import { logEvent, type Logger } from '../shared/log.js';
import { InheritedSocket } from './inherited-socket.js';
import { inspectFd, type FdKind } from './listen-fd.js';

/**
 * systemd's socket activation (sd_listen_fds(3); docs/deploy.md, "Socket
 * activation"): with LISTEN_FDS and a LISTEN_PID naming this process, the
 * node serves on the listening socket passed as fd 3 instead of binding.
 */

/** SD_LISTEN_FDS_START: the first passed descriptor. */
export const LISTEN_FD = 3;

/** The service manager's variables: the supervisor's alone, never a worker's (fork.ts). */
export const LISTEN_ENV_KEYS = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** What the variables say: nothing, something to ignore (and why), or one socket to serve on, with its FileDescriptorName=. */
export type ListenEnv = { readonly kind: 'absent' } | { readonly kind: 'ignored'; readonly reason: string } | { readonly kind: 'inherit'; readonly name: string | null };

/**
 * Pure: systemd's rules. Variables meant for another process (a LISTEN_PID
 * that is not `pid`, or one of the pair missing) are ignored, as
 * sd_listen_fds ignores them; LISTEN_FDS=0 passes nothing. A LISTEN_FDS
 * that is not a count, or more than one socket, is refused: propane
 * cannot tell which socket is its HTTP listener.
 */
export function readListenEnv(env: Env, pid: number): ListenEnv {
  const fds = env.LISTEN_FDS;
  const owner = env.LISTEN_PID;
  if (fds === undefined && owner === undefined) return { kind: 'absent' };
  if (owner === undefined) return { kind: 'ignored', reason: `LISTEN_FDS=${fds} is set without LISTEN_PID` };
  if (fds === undefined) return { kind: 'ignored', reason: `LISTEN_PID=${owner} is set without LISTEN_FDS` };
  if (owner !== String(pid)) return { kind: 'ignored', reason: `LISTEN_PID=${owner} is not this process (${pid}): the sockets were passed to another one` };
  if (!/^\d+$/.test(fds)) throw activationError(`LISTEN_FDS="${fds}" is not a number of file descriptors. Fix: let the service manager set LISTEN_FDS, or unset it.`);
  const count = Number(fds);
  if (count === 0) return { kind: 'ignored', reason: 'LISTEN_FDS=0: no socket was passed' };
  const names = env.LISTEN_FDNAMES === undefined ? '' : ` (LISTEN_FDNAMES=${env.LISTEN_FDNAMES})`;
  if (count > 1) throw activationError(`LISTEN_FDS=${count}${names}: propane serves on exactly one inherited listening socket. Fix: give its .socket unit a single ListenStream=, or start propane without socket activation.`);
  return { kind: 'inherit', name: env.LISTEN_FDNAMES?.split(':')[0] || null };
}

/** Pure: only `none` can serve on an inherited socket (docs/scheduling.md, "Under socket activation"). */
export function checkSchedulingPolicy(config: Config, sources: Sources): void {
  const policy = config.propane.schedulingPolicy;
  if (policy === 'none') return;
  const why =
    policy === 'round_robin'
      ? 'the supervisor would accept every connection itself, and node:cluster does that only on a socket it bound (it closes an inherited one when its last worker exits)'
      : 'it gives every worker a SO_REUSEPORT socket of its own, and the service manager passed one socket';
  throw activationError(`propane.schedulingPolicy is ${policy} from ${sourceOf(sources, ['propane', 'schedulingPolicy'])}, which cannot serve on an inherited socket: ${why}. Fix: set it to none (the default): every worker accepts on the inherited socket.`);
}

/** Pure: why `fd` cannot be served on, or null for a listening TCP socket. */
export function describeUnusableFd(fd: number, what: FdKind): string | null {
  const head = `fd ${fd} from LISTEN_FDS=1`;
  switch (what.kind) {
    case 'tcp_listening':
      return null;
    case 'closed':
      return `${head} is not open. Fix: let the service manager set LISTEN_FDS and LISTEN_PID (a .socket unit), or unset them.`;
    case 'not_socket':
      return `${head} is not a socket (it is ${what.target}). Fix: let the service manager set LISTEN_FDS and LISTEN_PID (a .socket unit), or unset them.`;
    case 'tcp_not_listening':
      return `${head} is a TCP socket that is not listening (state ${what.state}): a .socket unit with Accept=yes passes one connection per process. Fix: set Accept=no (the default) in the .socket unit.`;
    case 'udp':
      return `${head} is a UDP socket; propane serves HTTP over TCP. Fix: use ListenStream= instead of ListenDatagram= in the .socket unit.`;
    case 'other_socket':
      return `${head} is a socket but not a TCP one of this network namespace (a unix socket, say, or one from outside a PrivateNetwork=yes service: propane checks it in /proc/self/net); propane serves HTTP on a TCP address and port. Fix: give the .socket unit ListenStream=ADDRESS:PORT, and do not set PrivateNetwork=yes on the service.`;
  }
}

/**
 * Pure: an explicit host or port (flag, environment, config file) must be
 * the inherited socket's; unset ones take its address. `hostAddresses`: what
 * the explicit host resolves to, or null when host was not set. Port 0 asks
 * for any port, so the inherited one is fine.
 */
export function findAddressConflicts(config: Config, sources: Sources, at: { address: string; port: number }, hostAddresses: readonly string[] | null): PropaneError[] {
  const socket = `the listening socket passed as fd ${LISTEN_FD} (LISTEN_FDS) is bound to ${at.address}:${at.port}`;
  const conflicts: PropaneError[] = [];
  if (sources.has('port') && config.port !== 0 && config.port !== at.port) {
    conflicts.push(activationError(`port is ${config.port} from ${sourceOf(sources, ['port'])}, but ${socket}. Fix: leave port unset (the socket decides), set it to ${at.port}, or change ListenStream= in the .socket unit.`));
  }
  if (hostAddresses !== null && !hostAddresses.includes(at.address)) {
    const resolved = hostAddresses.length === 0 ? 'which does not resolve' : `which is ${hostAddresses.join(', ')}`;
    conflicts.push(activationError(`host is ${config.host} (${resolved}) from ${sourceOf(sources, ['host'])}, but ${socket}. Fix: leave host unset (the socket decides), set it to ${at.address}, or change ListenStream= in the .socket unit.`));
  }
  return conflicts;
}

/**
 * Reads the variables, checks the passed socket and the config against each
 * other, and wraps it; null when the node binds its own socket. Throws
 * (exit 2) rather than half-start: the service manager holds the port, so
 * binding instead could only fail.
 */
export async function inheritListenSocket(env: Env, { config, sources }: LoadedConfig, log: Logger): Promise<InheritedSocket | null> {
  const listen = readListenEnv(env, process.pid);
  if (listen.kind === 'absent') return null;
  if (listen.kind === 'ignored') {
    logEvent(log, 'warn', 'socket_activation_ignored', { listen_fds: env.LISTEN_FDS ?? null, listen_pid: env.LISTEN_PID ?? null }, `${listen.reason}; socket activation is ignored and propane binds its own listening socket`);
    return null;
  }
  if (process.platform !== 'linux') {
    throw new PropaneError('PROPANE_ERR_PLATFORM_UNSUPPORTED', `socket activation (LISTEN_FDS) needs Linux; this is ${process.platform}. Fix: unset LISTEN_FDS and LISTEN_PID.`);
  }
  checkSchedulingPolicy(config, sources);
  const unusable = describeUnusableFd(LISTEN_FD, inspectFd(LISTEN_FD));
  if (unusable !== null) throw activationError(unusable);
  const socket = InheritedSocket.wrap(LISTEN_FD);
  const conflicts = findAddressConflicts(config, sources, socket, sources.has('host') ? await resolve(config.host) : null);
  if (conflicts.length > 0) {
    socket.close();
    throw new ConfigErrors(conflicts);
  }
  logEvent(log, 'info', 'socket_inherited', { fd: LISTEN_FD, fd_name: listen.name, host: socket.address, port: socket.port }, `serving on the listening socket the service manager passed: ${socket.address}:${socket.port}`);
  return socket;
}

async function resolve(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

function activationError(message: string): PropaneError {
  return new PropaneError('PROPANE_ERR_SOCKET_ACTIVATION', message);
}
