import type { Worker } from 'node:cluster';
import type { SessionCounts } from '../contracts/cluster.js';
import type { SupervisorToWorker, WorkerStats } from '../contracts/ipc.js';
import type { LastExit } from '../contracts/status.js';

export type ProcessState = 'starting' | 'ready' | 'draining';
export type ExitCause = NonNullable<LastExit['cause']>;

/** A worker process as GET /status and GET /metrics read it. */
export interface WorkerView {
  readonly id: number;
  readonly slot: number;
  readonly pid: number;
  readonly startedAt: Date;
  readonly state: ProcessState;
  /** The last heartbeat report; null until the first one. */
  readonly stats: WorkerStats | null;
  /** Its sessions as it last reported them (heartbeat or sessions query); null until the first report. */
  readonly sessions: SessionCounts | null;
  /** The `seq` of the last sessions query it answered; 0 before any. */
  readonly sessionsSeq: number;
}

/** One forked worker process, as the supervisor tracks it from fork to exit. */
export class WorkerProcess implements WorkerView {
  readonly id: number;
  readonly slot: number;
  readonly pid: number;
  readonly worker: Worker;
  readonly startedAt = new Date();
  readonly startedAtMs = performance.now();
  state: ProcessState = 'starting';
  readyAtMs: number | null = null;
  stats: WorkerStats | null = null;
  sessions: SessionCounts | null = null;
  sessionsSeq = 0;
  lastAckAtMs = performance.now();
  /** Set when the supervisor itself ends this process (drain, failed replacement, hung kill). */
  planned = false;
  cause: ExitCause | null = null;
  bootError: { phase: string; message: string; code?: string | undefined } | null = null;
  overMemoryChecks = 0;
  /** No memory recycle is tried before this performance.now(): Infinity during one, later after a failed one. */
  recycleNotBeforeMs = 0;
  #killTimer: NodeJS.Timeout | undefined;
  #settle!: (outcome: 'ready' | 'exited') => void;
  /** Resolves once the process is ready, or has exited without ever being ready. */
  readonly settled = new Promise<'ready' | 'exited'>((resolve) => (this.#settle = resolve));

  constructor(worker: Worker, slot: number) {
    this.worker = worker;
    this.id = worker.id;
    this.slot = slot;
    this.pid = worker.process.pid ?? -1;
  }

  get isAlive(): boolean {
    return !this.worker.isDead();
  }

  get isConnected(): boolean {
    return this.worker.isConnected();
  }

  send(msg: SupervisorToWorker): void {
    this.sendWithHandle(msg, undefined);
  }

  /** `handle` travels with the message (node:child_process sends it as a file descriptor and keeps its own copy open). */
  sendWithHandle(msg: SupervisorToWorker, handle: object | undefined): void {
    if (!this.worker.isConnected()) return;
    try {
      this.worker.send(msg, handle as Parameters<Worker['send']>[1], noop);
    } catch {
      // The channel closed between the check and the send; the exit handler cleans up.
    }
  }

  /** SIGKILL now, or after `delayMs` (then `onKill` runs if it was still alive); both are safe to call twice. */
  kill(delayMs = 0, onKill?: () => void): void {
    if (delayMs > 0) {
      this.#killTimer ??= setTimeout(() => {
        if (this.isAlive) onKill?.();
        this.kill();
      }, delayMs);
      return;
    }
    clearTimeout(this.#killTimer);
    if (this.isAlive) this.worker.process.kill('SIGKILL');
  }

  /** Why it never became ready, for reload outcomes: "load failed: ..." or "exited before it was ready". */
  get bootFailure(): string {
    return this.bootError ? `${this.bootError.phase} failed: ${this.bootError.message}` : 'exited before it was ready';
  }

  onReady(): void {
    this.state = 'ready';
    this.readyAtMs = performance.now();
    this.lastAckAtMs = this.readyAtMs;
    this.#settle('ready');
  }

  /** The worker answered a heartbeat: it is alive, and these are its counters now. */
  onHeartbeat(stats: WorkerStats): void {
    this.lastAckAtMs = performance.now();
    this.stats = stats;
    this.sessions = stats.sessions;
  }

  /** IPC keeps a worker's messages in order, so the last one to arrive carries its newest counts. */
  onSessionsReport(seq: number, sessions: SessionCounts): void {
    this.sessions = sessions;
    this.sessionsSeq = seq;
  }

  onExit(): void {
    clearTimeout(this.#killTimer);
    this.#settle('exited');
  }
}

function noop(): void {}
