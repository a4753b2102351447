import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusPayload } from '../../contracts/status.js';
import { callStatusSocket } from '../../supervisor/status-client.js';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const CLI = join(ROOT, 'dist/supervisor/cli.js');
export const fixtureApp = (name: string): string => join(ROOT, 'tests/fixtures/apps', name);

export interface LogLine {
  event?: string;
  pid: number;
  slot?: number;
  worker_pid?: number;
  msg?: string;
  [key: string]: unknown;
}

export interface StartOptions {
  app?: string;
  workers?: number;
  args?: string[];
  env?: Record<string, string>;
  /** Written to a temporary propane.json and passed with --config. */
  config?: Record<string, unknown>;
  /** Wait until every slot has a ready worker (default), or only until the node serves. */
  waitFor?: 'all' | 'listening' | 'nothing';
  timeoutMs?: number;
  /** The status socket path; default: a fresh one from tempSocketPath(). */
  socket?: string;
  /** Its own process group (as under systemd), so a test can signal the whole group with process.kill(-pid). */
  detached?: boolean;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

let socketCounter = 0;
/** Short socket paths straight in the temp dir: sun_path is capped near 100 bytes. */
export function tempSocketPath(): string {
  return join(tmpdir(), `propane-${process.pid}-${++socketCounter}.sock`);
}

/** A real `propane start` on 127.0.0.1 and an ephemeral port; stopped and checked by teardown. */
export class PropaneNode {
  readonly proc: ChildProcess;
  readonly socket: string;
  readonly logs: LogLine[] = [];
  /** Lines on stdout that are not JSON log lines (there should be none). */
  readonly nonJson: string[] = [];
  stderr = '';
  port = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly #dir: string;

  constructor(opts: StartOptions) {
    this.socket = opts.socket ?? tempSocketPath();
    this.#dir = mkdtempSync(join(tmpdir(), 'propane-test-'));
    const args = [CLI, 'start'];
    if (opts.app) args.push(opts.app);
    args.push('--port', '0', '--status-socket', this.socket);
    if (opts.workers !== undefined) args.push('--workers', String(opts.workers));
    if (opts.config) {
      const file = join(this.#dir, 'propane.json');
      writeFileSync(file, JSON.stringify(opts.config));
      args.push('--config', file);
    }
    args.push(...(opts.args ?? []));
    this.proc = spawn(...nodeCommand(args), { cwd: this.#dir, env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
    this.exited = new Promise((res) => this.proc.once('exit', (code, signal) => res({ code, signal })));
    let buffered = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        this.#onLine(line);
      }
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Every worker pid this supervisor ever forked, from its worker_forked events. */
  get forkedPids(): number[] {
    return this.logs.filter((l) => l.event === 'worker_forked' && l.pid === this.pid).map((l) => l.worker_pid!);
  }

  #onLine(line: string): void {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      if (line.trim() !== '') this.nonJson.push(line);
      return;
    }
    this.logs.push(parsed);
    if (parsed.event === 'supervisor_started' && typeof parsed.port === 'number') this.port = parsed.port;
    for (const w of [...this.#waiters]) {
      if (w.pred(parsed)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  }

  /** Resolves with the first log line (past or future) that matches; rejects after timeoutMs. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 15_000, fromIndex = 0): Promise<LogLine> {
    const seen = this.logs.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.findIndex((w) => w.resolve === done), 1);
        reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${this.logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`));
      }, timeoutMs);
      const done = (l: LogLine): void => {
        clearTimeout(timer);
        resolveLine(l);
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }

  waitForEvent(event: string, timeoutMs = 15_000, fromIndex = 0): Promise<LogLine> {
    return this.waitForLog((l) => l.event === event, timeoutMs, fromIndex);
  }

  async status(): Promise<StatusPayload> {
    const reply = await callStatusSocket(this.socket, 'GET', '/status', 5_000);
    return JSON.parse(reply.body) as StatusPayload;
  }

  /** Polls /status until `pred` holds; rejects with the last payload after timeoutMs. */
  async waitForStatus(pred: (s: StatusPayload) => boolean, timeoutMs = 15_000): Promise<StatusPayload> {
    const deadline = Date.now() + timeoutMs;
    let last: StatusPayload | undefined;
    while (Date.now() < deadline) {
      try {
        last = await this.status();
        if (pred(last)) return last;
      } catch {
        // Not up yet, or restarting: poll again.
      }
      await sleep(50);
    }
    throw new Error(`status condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  async readyWorkerPids(): Promise<number[]> {
    const s = await this.status();
    return s.workers.filter((w) => w.state === 'ready' && w.pid !== null).map((w) => w.pid!);
  }

  /**
   * Graceful stop with SIGTERM, bounded; then SIGKILL for anything left.
   * Returns the pids (supervisor or workers) that had to be killed.
   */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; leftovers: number[] }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const result = await within(this.exited, timeoutMs);
    if (!result) this.proc.kill('SIGKILL');
    const leftovers = await waitGone(this.forkedPids, 5_000);
    for (const pid of leftovers) tryKill(pid, 'SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
    if (existsSync(this.socket)) rmSync(this.socket, { force: true });
    return { code: result?.code ?? null, leftovers: result ? leftovers : [this.pid, ...leftovers] };
  }
}

/**
 * Supervisors still running when this test process exits. tap ends a file
 * that overruns its timeout with SIGALRM, and teardowns never run then; a
 * SIGKILLed supervisor takes its workers with it (their IPC channel closes).
 */
const running = new Set<PropaneNode>();
process.once('exit', () => {
  for (const node of running) tryKill(node.pid, 'SIGKILL');
});

export async function startPropane(t: Teardown, opts: StartOptions = {}): Promise<PropaneNode> {
  const node = new PropaneNode(opts);
  running.add(node);
  void node.exited.then(() => running.delete(node));
  t.teardown(() => node.stop());
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const waitFor = opts.waitFor ?? 'all';
  if (waitFor === 'nothing') return node;
  const started = node.waitForEvent('listening', timeoutMs);
  const failed = node.exited.then(({ code, signal }) => {
    throw new Error(`propane start exited (code ${String(code)}, signal ${String(signal)}) before serving:\n${node.stderr}\n${node.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await Promise.race([started, failed]);
  if (waitFor === 'all') {
    const workers = opts.workers ?? 1;
    await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length >= workers, timeoutMs);
  }
  return node;
}

/** The environment of the test process without any ARLEN_/MOJOOBJC_ variable that would change the config. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(ARLEN_|MOJOOBJC_|PROPANE_)/.test(k)) env[k] = v;
  }
  return env;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Waits until none of `pids` is alive; returns those still alive after timeoutMs. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Resolves with `p`'s value, or null after timeoutMs; leaves no timer behind. */
export async function within<T>(p: Promise<T>, timeoutMs: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
  clearTimeout(timer);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * `node <args>` as an operator runs it. tap's @tapjs/processinfo hooks every spawn and puts its
 * `--import` loader into NODE_OPTIONS, which would load into the supervisor, every worker and
 * every CLI run (~25 MB of RSS each, and start-up time); `env -u` drops it before node starts.
 */
export function nodeCommand(args: string[]): [string, string[]] {
  return ['/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]];
}

/** Runs the CLI once (config, status, reload, stop) and collects its output. */
export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(...nodeCommand([CLI, ...args]), { cwd: opts.cwd ?? tmpdir(), env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}
