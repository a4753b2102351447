import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stream } from 'node:stream';
import type { StatusPayload } from '../../contracts/status.js';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { CLI } from './paths.js';
import { cleanEnv, identify, killOnExit, nodeCommand, tryKill, waitAllExited, type ProcessIdentity } from './processes.js';
import { parseExposition, type Exposition } from './prometheus.js';
import { tempSocketPath } from './temp.js';
import { pollUntil, within } from './wait.js';

export interface LogLine {
  event?: string;
  pid: number;
  slot?: number;
  worker_pid?: number;
  msg?: string;
  [key: string]: unknown;
}

/**
 * X-Arlen-Worker-Pid tells a test which worker answered. On a single node the
 * cluster headers are off by default (cluster.emitHeaders follows
 * cluster.enabled), so a test that needs to know turns them on.
 */
export const WORKER_PID_HEADERS = { ARLEN_CLUSTER_EMIT_HEADERS: 'true' } as const;

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
  /** --port's value (default 0, a free one); null passes no --port (a socket passed by a service manager decides). */
  port?: number | null;
  /** What runs `node <args>`; default nodeCommand. A service manager stand-in (socket-activation.ts) wraps it. */
  launcher?: (nodeArgs: string[]) => [string, string[]];
  /** What the child gets as fd 3 (a file descriptor or a socket), as a service manager passes a socket. */
  fd3?: number | Stream;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A real `propane start` on 127.0.0.1 and an ephemeral port; startPropane's teardown stops it and checks that nothing it started outlives the test. */
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
  /** Each worker as it was forked, so that the teardown never kills a process that reused a worker's pid. */
  readonly #forked: ProcessIdentity[] = [];

  constructor(opts: StartOptions) {
    this.socket = opts.socket ?? tempSocketPath();
    this.#dir = mkdtempSync(join(tmpdir(), 'propane-test-'));
    const args = [CLI, 'start'];
    if (opts.app) args.push(opts.app);
    const port = opts.port === undefined ? 0 : opts.port;
    if (port !== null) args.push('--port', String(port));
    args.push('--status-socket', this.socket);
    if (opts.workers !== undefined) args.push('--workers', String(opts.workers));
    if (opts.config) {
      const file = join(this.#dir, 'propane.json');
      writeFileSync(file, JSON.stringify(opts.config));
      args.push('--config', file);
    }
    args.push(...(opts.args ?? []));
    const stdio: StdioOptions = opts.fd3 === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', opts.fd3];
    this.proc = killOnExit(spawn(...(opts.launcher ?? nodeCommand)(args), { cwd: this.#dir, env: { ...cleanEnv(), ...opts.env }, stdio, detached: opts.detached ?? false }));
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
    if (parsed.event === 'worker_forked' && parsed.pid === this.pid && typeof parsed.worker_pid === 'number') this.#forked.push(identify(parsed.worker_pid));
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
        reject(new Error(`no matching log line within ${timeoutMs} ms; ${this.#whatHappened()}`));
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
    const reply = await callStatusSocket(this.socket, 'GET', '/status', 5_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.#whatHappened()}`, { cause: err });
    });
    return JSON.parse(reply.body) as StatusPayload;
  }

  /** For a failure message: whether the supervisor still runs, and its last lines. */
  #whatHappened(): string {
    const { exitCode, signalCode } = this.proc;
    const state = exitCode === null && signalCode === null ? 'still running' : `exited (code ${String(exitCode)}, signal ${String(signalCode)})`;
    return `supervisor ${this.pid} ${state}; last lines:\n${this.logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`;
  }

  /** GET /metrics on the status socket, parsed. */
  async metrics(): Promise<Exposition> {
    const reply = await callStatusSocket(this.socket, 'GET', '/metrics', 5_000);
    if (reply.status !== 200) throw new Error(`GET /metrics answered ${reply.status}: ${reply.body}`);
    return parseExposition(reply.body);
  }

  /** Polls /status until `pred` holds; rejects with the last payload after timeoutMs. */
  async waitForStatus(pred: (s: StatusPayload) => boolean, timeoutMs = 15_000): Promise<StatusPayload> {
    const last = await pollUntil(() => this.status(), pred, timeoutMs, 50).catch(() => undefined);
    if (last && pred(last)) return last;
    throw new Error(`status condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  }

  /**
   * Waits until no worker holds a session: every connection the server
   * answered is closed on its side too, so its permit is free again. A
   * client sees its answer before the server has closed the socket, and a
   * node at its limit admits again only once the release has reached it
   * (docs/session-limits.md): a test that needs the next session admitted
   * waits for this first.
   */
  async waitNoSessions(): Promise<void> {
    await this.waitForStatus((s) => s.totals.sessions.http === 0 && s.totals.sessions.websocket === 0);
  }

  async readyWorkerPids(): Promise<number[]> {
    const s = await this.status();
    return s.workers.filter((w) => w.state === 'ready' && w.pid !== null).map((w) => w.pid!);
  }

  /**
   * Graceful stop with SIGTERM, bounded; then SIGKILL for anything left.
   * Returns the pids (supervisor or workers) that had to be killed. Safe to
   * call again: once everything is gone it only reports that.
   */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; leftovers: number[] }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const result = await within(this.exited, timeoutMs);
    if (!result) this.proc.kill('SIGKILL');
    const leftovers = (await waitAllExited(this.#forked, 5_000)).map(({ pid }) => pid);
    for (const pid of leftovers) tryKill(pid, 'SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
    if (existsSync(this.socket)) rmSync(this.socket, { force: true });
    return { code: result?.code ?? null, leftovers: result ? leftovers : [this.pid, ...leftovers] };
  }
}

/**
 * Starts a node for test `t`. Its teardown stops the node and fails the
 * test if the supervisor or any worker it ever forked is still running
 * afterwards (it SIGKILLs them first): every test that starts a node proves
 * it leaves nothing behind.
 */
export async function startPropane(t: Teardown, opts: StartOptions = {}): Promise<PropaneNode> {
  const node = new PropaneNode(opts);
  t.teardown(async () => {
    const { leftovers } = await node.stop();
    if (leftovers.length > 0) throw new Error(`processes of propane ${node.pid} (supervisor or workers) were still running after the test and had to be SIGKILLed: ${leftovers.join(', ')}`);
  });
  if ((opts.waitFor ?? 'all') !== 'nothing') await waitServing(node, opts);
  return node;
}

/** Waits until `node` serves (its `listening` line) and, for waitFor 'all', until every slot has a ready worker; rejects if it exits first. */
export async function waitServing(node: PropaneNode, opts: Pick<StartOptions, 'workers' | 'waitFor' | 'timeoutMs'> = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const started = node.waitForEvent('listening', timeoutMs);
  const failed = node.exited.then(({ code, signal }) => {
    throw new Error(`propane start exited (code ${String(code)}, signal ${String(signal)}) before serving:\n${node.stderr}\n${node.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`);
  });
  await Promise.race([started, failed]);
  if ((opts.waitFor ?? 'all') === 'all') {
    const workers = opts.workers ?? 1;
    await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length >= workers, timeoutMs);
  }
}
