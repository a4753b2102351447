import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEDULING_POLICIES, type SchedulingPolicy } from '../contracts/config.js';
import { supportsReusePort } from '../shared/node-support.js';
import { callStatusSocket } from '../supervisor/status-client.js';
import { freePort, isPortFree } from '../tests/helpers/ports.js';
import { killOnExit } from '../tests/helpers/processes.js';
import { sleep } from '../tests/helpers/wait.js';

export type Policy = SchedulingPolicy;

const here = fileURLToPath(new URL('.', import.meta.url));
export const CLI = join(here, '../supervisor/cli.js');
export const HELLO_APP = join(here, 'hello-app.js');
export const HELLO_WEBSOCKET_APP = join(here, 'hello-websocket-app.js');
const BASELINE = join(here, 'baseline-cluster.js');

/** A server the benchmark started; `stop()` ends it and everything it forked. */
export interface Running {
  name: string;
  port: number;
  pid: number;
  statusSocket?: string;
  stop(): Promise<void>;
}

const sockets = new Set<string>();
// Whatever happens to the harness, it leaves nothing running (killOnExit) and no socket file behind.
process.once('exit', () => {
  for (const s of sockets) rmSync(s, { force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

export function track(child: ChildProcess, name: string, port: number, statusSocket?: string): Running {
  killOnExit(child);
  if (statusSocket) sockets.add(statusSocket);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    port,
    pid: child.pid!,
    statusSocket,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      if (statusSocket) {
        rmSync(statusSocket, { force: true });
        sockets.delete(statusSocket);
      }
    },
  };
}

export function waitForLine(child: ChildProcess, pred: (line: string) => boolean, timeoutMs: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: string): void => {
      buf += chunk;
      for (const line of buf.split('\n')) {
        if (pred(line)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          return resolve(line);
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${String(code)}) before it was ready`)));
  });
}

/**
 * A port for a server under `policy`. Under reuse_port one outside Linux's
 * ephemeral range (32768-60999): an SO_REUSEPORT bind conflicts with a client
 * socket that took the same local port from that range, which the load
 * generators' connection churn makes likely (EADDRINUSE at start).
 */
async function benchPort(policy: Policy): Promise<number> {
  if (policy !== 'reuse_port') return freePort();
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await isPortFree(port)) return port;
  }
}

/** The node binary a benchmark's servers run on: a bench's `--node` (default: the one running the bench). */
export interface OnNode {
  node?: string;
}

/** The binary to spawn: a path made absolute (propane starts in another directory), a bare name left to PATH. */
export function nodeBinary(opts: OnNode): string {
  return opts.node === undefined ? process.execPath : opts.node.includes('/') ? resolve(opts.node) : opts.node;
}

/** `node --version` of the binary at `node` ("v24.22.3"). */
export function nodeVersionOf(node: string): string {
  const r = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot run ${node} --version: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

/**
 * A bench's `--policies` list, refused before anything starts when a name is
 * unknown or `node` cannot run it (reuse_port needs Node.js 22.12).
 */
export function parsePolicies(list: string, node: string): Policy[] {
  const version = nodeVersionOf(node);
  return list.split(',').map((name) => {
    const policy = SCHEDULING_POLICIES.find((p) => p === name);
    if (policy === undefined) throw new Error(`--policies takes ${SCHEDULING_POLICIES.join(', ')}; got ${name}`);
    if (policy === 'reuse_port' && !supportsReusePort(version)) throw new Error(`reuse_port needs Node.js 22.12 or newer; ${node} is ${version}`);
    return policy;
  });
}

/** A certificate and key, as file paths. */
export interface TlsFiles {
  cert: string;
  key: string;
}

export interface BaselineOptions extends OnNode {
  /** The handler also writes these headers: the same bytes as propane (bench/baseline-cluster.ts). */
  headers?: Readonly<Record<string, string>>;
  /** The handler also writes X-Arlen-Worker-Pid, as propane does with its cluster headers on. */
  workerPidHeader?: boolean;
  /** Serve HTTPS with this certificate. */
  tls?: TlsFiles;
  /** Each worker's server.maxConnections: connections past it are dropped at accept. */
  maxConnections?: number;
  /** With maxConnections: answer the connections past it with a fixed 503 instead of dropping them. */
  answerOverflow?: boolean;
  /** Names the server in the output; default: what it serves. */
  label?: string;
}

/** Plain node:cluster with the same policy (under reuse_port, workers that listen with `reusePort: true`), over HTTPS with `tls`. */
export async function startBaseline(workers: number, policy: Policy, opts: BaselineOptions = {}): Promise<Running> {
  const port = await benchPort(policy);
  const { node: _node, label, workerPidHeader, ...rest } = opts;
  const options = { ...rest, ...(workerPidHeader ? { workerPid: true } : {}) };
  const extra = Object.keys(options).length > 0 ? [JSON.stringify(options)] : [];
  const child = spawn(nodeBinary(opts), [BASELINE, String(port), String(workers), policy, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const name = label ?? [opts.tls ? 'https' : '', opts.headers ? 'same bytes' : ''].filter(Boolean).join(' ');
  const run = track(child, `node:cluster${name ? ` ${name}` : ''} ${policy}`, port);
  await waitForLine(child, (l) => l === 'ready', 20_000, run.name);
  return run;
}

export interface PropaneOptions extends OnNode {
  label?: string;
  /** Added to this process's environment, e.g. WORKER_PID_HEADERS. */
  env?: Readonly<Record<string, string>>;
  /** The app to serve; default the hello app. */
  app?: string;
}

/** `propane start` of the hello app; on `opts.node`, which its workers inherit (cluster forks process.execPath). */
export async function startPropane(workers: number, policy: Policy, extraArgs: string[] = [], opts: PropaneOptions = {}): Promise<Running> {
  const port = await benchPort(policy);
  const statusSocket = join(tmpdir(), `propane-bench-${process.pid}-${port}.sock`);
  const label = opts.label ?? '';
  const args = [CLI, 'start', opts.app ?? HELLO_APP, '--workers', String(workers), '--port', String(port), '--status-socket', statusSocket, '--scheduling-policy', policy, '--log-level', 'warn', ...extraArgs];
  const child = spawn(nodeBinary(opts), args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir(), env: { ...process.env, ...opts.env } });
  const run = track(child, `propane${label ? ` ${label}` : ''} ${policy}`, port, statusSocket);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const s = JSON.parse((await callStatusSocket(statusSocket, 'GET', '/status', 2_000)).body) as { workers: Array<{ state: string }> };
      if (s.workers.filter((w) => w.state === 'ready').length === workers) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await run.stop();
      throw new Error(`${run.name} not ready within 30 s`);
    }
    await sleep(100);
  }
  return run;
}

/**
 * One keep-alive GET / on a fresh connection, as wrk sends it: the whole
 * answer as it came off the wire, and its header lines in order. With `ca`
 * (PEM) over TLS, the answer as decrypted.
 */
export function rawHead(port: number, ca?: string): Promise<{ raw: string; headers: Array<[string, string]> }> {
  return new Promise((resolve, reject) => {
    const send = (): void => void socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const socket = ca === undefined ? connect(port, '127.0.0.1', send) : tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, send);
    let raw = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer from port ${port}`)));
    socket.once('error', reject);
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      raw += chunk;
      const end = raw.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(raw);
      if (end < 0 || !length || raw.length < end + 4 + Number(length[1])) return;
      socket.destroy();
      const headers = raw.slice(0, end).split('\r\n').slice(1).map((line): [string, string] => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]);
      resolve({ raw, headers });
    });
  });
}

/** The headers propane's answer has and the bare handler's has not, with propane's values (their lengths never vary). */
export async function addedHeaders(bare: Running, propane: Running, ca?: string): Promise<Record<string, string>> {
  const have = new Set((await rawHead(bare.port, ca)).headers.map(([name]) => name.toLowerCase()));
  return Object.fromEntries((await rawHead(propane.port, ca)).headers.filter(([name]) => !have.has(name.toLowerCase())));
}

/** Refuses to time anything unless both answers have the same header names and the same length; returns that length. */
export async function checkSameBytes(same: Running, propane: Running, ca?: string): Promise<number> {
  const [a, b] = [await rawHead(same.port, ca), await rawHead(propane.port, ca)];
  const names = (h: typeof a): string => h.headers.map(([n]) => n.toLowerCase()).sort().join(',');
  if (a.raw.length !== b.raw.length || names(a) !== names(b)) {
    throw new Error(`the same-bytes baseline does not send propane's bytes:\n${JSON.stringify(a.raw)}\n${JSON.stringify(b.raw)}`);
  }
  return b.raw.length;
}
