import { createSocket } from 'node:dgram';
import { readdirSync, readlinkSync } from 'node:fs';
import { requireTools, type ToolTest } from './debian-tools.js';
import { httpGet, type HttpReply } from './http.js';
import { freePort } from './ports.js';
import { nodeCommand } from './processes.js';
import { startPropane, waitServing, type PropaneNode, type StartOptions } from './propane.js';
import { pollUntil } from './wait.js';

/**
 * Socket activation as a service manager does it (docs/deploy.md, "Socket
 * activation"). Debian's systemd-socket-activate binds, waits for the first
 * connection, then execs `node <args>` in place (same pid, so LISTEN_PID
 * names it) with LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES and of this
 * environment only PATH, HOME and what `-E` passes.
 */

/** True when systemd-socket-activate is installed; otherwise a loud skip (a failure on CI). */
export function requireSocketActivate(t: ToolTest): boolean {
  return requireTools(t, [['systemd-socket-activate', 'systemd']], 'the socket activation tests');
}

export interface ActivateOptions extends Omit<StartOptions, 'port' | 'launcher' | 'fd3' | 'waitFor'> {
  /** The addresses to listen on (-l), each passed as one descriptor; default one free loopback port. */
  listen?: string[];
  /** -d: UDP sockets instead of TCP. */
  datagram?: boolean;
  /** --fdname: LISTEN_FDNAMES. */
  fdname?: string;
}

/**
 * propane under systemd-socket-activate, listening but not yet started (the
 * tool runs nothing before a connection comes): `port` is the first address's.
 * The test's teardown stops it and checks that no process of it is left.
 */
export async function startUnderSocketActivate(t: ToolTest, opts: ActivateOptions = {}): Promise<{ node: PropaneNode; port: number }> {
  const port = await freePort();
  const listen = opts.listen ?? [`127.0.0.1:${port}`];
  const flags = [
    ...listen.flatMap((address) => ['-l', address]),
    ...(opts.datagram ? ['-d'] : []),
    ...(opts.fdname === undefined ? [] : [`--fdname=${opts.fdname}`]),
    // The tool drops every other variable of its own environment.
    ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-E', `${k}=${v}`]),
  ];
  const node = await startPropane(t, { ...opts, port: null, waitFor: 'nothing', launcher: (args) => ['systemd-socket-activate', [...flags, process.execPath, ...args]] });
  const listening = (s: string): boolean => s.split('\n').filter((l) => l.startsWith('Listening on ')).length === listen.length;
  const seen = await pollUntil(async () => node.stderr, listening, 10_000, 20);
  if (!listening(seen)) throw new Error(`systemd-socket-activate did not listen on ${listen.join(', ')} within 10 s: ${seen}`);
  return { node, port: Number(/:(\d+)$/.exec(listen[0]!)?.[1] ?? port) };
}

/**
 * Starts propane under systemd-socket-activate, activates it with a first
 * request, and waits until every slot is ready; resolves with that first
 * reply (the connection that started it, queued meanwhile).
 */
export async function startSocketActivated(t: ToolTest, opts: ActivateOptions = {}): Promise<{ node: PropaneNode; port: number; first: HttpReply }> {
  const { node, port } = await startUnderSocketActivate(t, opts);
  const first = await httpGet(port, '/', { timeoutMs: 20_000 });
  await waitServing(node, { workers: opts.workers ?? 1 });
  return { node, port, first };
}

/** A datagram to 127.0.0.1:port, which activates a -d listener. */
export function sendDatagram(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send('activate', port, '127.0.0.1', (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * For what systemd-socket-activate cannot pass (a file, a connection) on
 * fd 3: a shell that sets LISTEN_PID to its own pid and execs node in place,
 * as a service manager does. LISTEN_FDS comes from the environment.
 */
export function execWithListenPid(nodeArgs: string[]): [string, string[]] {
  const [cmd, args] = nodeCommand(nodeArgs);
  return ['sh', ['-c', 'export LISTEN_PID=$$; exec "$@"', 'sh', cmd, ...args]];
}

/** What `fd` of process `pid` is, as /proc links it (`socket:[INODE]` for a socket). */
export function fdTarget(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** Whether any descriptor of process `pid` is `target` (a `socket:[INODE]` link). */
export function holdsFd(pid: number, target: string): boolean {
  return readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
    } catch {
      return false;
    }
  });
}
