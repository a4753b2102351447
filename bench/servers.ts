import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callStatusSocket } from '../supervisor/status-client.js';
import { freePort, isPortFree } from '../tests/helpers/ports.js';
import { killOnExit } from '../tests/helpers/processes.js';
import { sleep } from '../tests/helpers/wait.js';

export type Policy = 'round_robin' | 'none' | 'reuse_port';

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

/** What bench/baseline-cluster.ts serves beyond the bare handler. */
export interface BaselineOptions {
  /** Its handler also writes these headers: the same bytes as propane. */
  headers?: Readonly<Record<string, string>>;
  /** Each worker's server.maxConnections: connections past it are dropped at accept. */
  maxConnections?: number;
  /** HTTPS with these PEM files. */
  tls?: { cert: string; key: string };
}

/** Plain node:cluster (bench/baseline-cluster.ts). */
export async function startBaseline(workers: number, policy: Policy, options: BaselineOptions = {}, label = options.headers ? 'same bytes' : ''): Promise<Running> {
  const port = await benchPort(policy);
  const child = spawn(process.execPath, [BASELINE, String(port), String(workers), policy, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const run = track(child, `node:cluster${label ? ` ${label}` : ''} ${policy}`, port);
  await waitForLine(child, (l) => l === 'ready', 20_000, run.name);
  return run;
}

export async function startPropane(workers: number, policy: Policy, extraArgs: string[] = [], label = '', env: Record<string, string> = {}, app = HELLO_APP): Promise<Running> {
  const port = await benchPort(policy);
  const statusSocket = join(tmpdir(), `propane-bench-${process.pid}-${port}.sock`);
  const args = [CLI, 'start', app, '--workers', String(workers), '--port', String(port), '--status-socket', statusSocket, '--scheduling-policy', policy, '--log-level', 'warn', ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir(), env: { ...process.env, ...env } });
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
 * answer as it came off the wire, and its header lines in order.
 */
export function rawHead(port: number): Promise<{ raw: string; headers: Array<[string, string]> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
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
