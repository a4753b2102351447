import { readFileSync, readlinkSync } from 'node:fs';

/**
 * What an inherited file descriptor is, read from Linux's /proc before
 * anything wraps it: libuv would take a connected or a UDP socket without a
 * word (or throw an opaque ERR_INVALID_FD_TYPE), and a service manager
 * configured wrongly (Accept=yes, ListenDatagram=) must be named plainly.
 */
export type FdKind =
  | { readonly kind: 'tcp_listening' }
  /** A TCP socket in another state: a connection, as a .socket unit with Accept=yes passes. */
  | { readonly kind: 'tcp_not_listening'; readonly state: string }
  | { readonly kind: 'udp' }
  /** A socket in neither the TCP nor the UDP tables: a unix socket, say. */
  | { readonly kind: 'other_socket' }
  /** A file, a pipe, a device: what /proc/self/fd links it to. */
  | { readonly kind: 'not_socket'; readonly target: string }
  | { readonly kind: 'closed' };

/** The kernel's TCP states (include/net/tcp_states.h), as /proc/net/tcp prints them in hex. */
const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** The tables of this process's network namespace that sockets are looked up in. */
const TABLES = { tcp: ['/proc/self/net/tcp', '/proc/self/net/tcp6'], udp: ['/proc/self/net/udp', '/proc/self/net/udp6'] } as const;

/** Reads what `fd` is from /proc (Linux only). */
export function inspectFd(fd: number): FdKind {
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return { kind: 'closed' };
  }
  const read = (paths: readonly string[]): string => paths.map((p) => readOptional(p)).join('\n');
  return classifyFd(target, read(TABLES.tcp), read(TABLES.udp));
}

/**
 * Pure: the kind of a descriptor from its /proc/self/fd link (`socket:[INODE]`
 * for a socket) and the text of the TCP and UDP tables, whose rows hold the
 * state in the 4th column and the inode in the 10th.
 */
export function classifyFd(target: string, tcpTables: string, udpTables: string): FdKind {
  const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
  if (inode === undefined) return { kind: 'not_socket', target };
  const tcpState = stateOf(tcpTables, inode);
  if (tcpState === '0A') return { kind: 'tcp_listening' };
  if (tcpState !== undefined) return { kind: 'tcp_not_listening', state: TCP_STATES[tcpState] ?? tcpState };
  if (stateOf(udpTables, inode) !== undefined) return { kind: 'udp' };
  return { kind: 'other_socket' };
}

function stateOf(tables: string, inode: string): string | undefined {
  for (const line of tables.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[9] === inode) return cols[3]?.toUpperCase();
  }
  return undefined;
}

/** A table this kernel may lack (no IPv6): empty. */
function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
