import type { SupervisorToWorker } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION } from '../contracts/ipc.js';
import type { ProcessState } from './worker-process.js';

/**
 * How long GET /status and GET /metrics wait for the workers' session counts.
 * A worker answers between two turns of its event loop: with two saturated
 * workers on 2 cores, a /status that waits for both took 1.5-2.3 ms at the
 * median and 5.5-9 ms at p99 (13.5 in the noisiest run), and not one of
 * ~5,000 reached 50 ms; deadlines of 5 and 10 ms gave no better p99 and
 * marked workers stale (bench/RESULTS.md, "Exact sessions in /status"). So
 * 50 ms only bounds /status when a worker cannot answer at all (its loop
 * blocked by the app, the process stopped): it then shows its last report,
 * marked `sessions_stale`.
 */
export const SESSIONS_QUERY_DEADLINE_MS = 50;

/** A worker as a sessions query sees it. */
export interface QueriedWorker {
  readonly id: number;
  readonly state: ProcessState;
  /** False once its IPC channel closed: it can no longer answer. */
  readonly isConnected: boolean;
  /** The `seq` of the last `sessions_query` it answered; 0 before any. */
  readonly sessionsSeq: number;
  send(msg: SupervisorToWorker): void;
}

interface Round {
  seq: number;
  waiting: Set<number>;
  done: Promise<void>;
  finish: () => void;
}

/**
 * One round of `sessions_query` to every worker that serves (ready or
 * draining; a starting worker accepts nothing before it is ready), finished
 * when all answered or at the deadline. Concurrent callers share the round in
 * flight, so a burst of /status requests costs the workers one message each.
 */
export class SessionsQuery {
  readonly #workers: () => Iterable<QueriedWorker>;
  readonly #deadlineMs: number;
  #seq = 0;
  /** The workers asked in the latest round. */
  #asked: { seq: number; ids: ReadonlySet<number> } = { seq: 0, ids: new Set() };
  #round: Round | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(workers: () => Iterable<QueriedWorker>, deadlineMs = SESSIONS_QUERY_DEADLINE_MS) {
    this.#workers = workers;
    this.#deadlineMs = deadlineMs;
  }

  /** Resolves once every worker asked has answered, or at the deadline; never rejects. */
  refresh(): Promise<void> {
    if (this.#round) return this.#round.done;
    const seq = ++this.#seq;
    const asked = new Set<number>();
    const waiting = new Set<number>();
    for (const wp of this.#workers()) {
      if (wp.state === 'starting') continue;
      asked.add(wp.id);
      // A closed channel cannot answer: the worker counts as not answering, without a wait.
      if (!wp.isConnected) continue;
      waiting.add(wp.id);
      wp.send({ type: 'sessions_query', schema_version: IPC_SCHEMA_VERSION, seq });
    }
    this.#asked = { seq, ids: asked };
    if (waiting.size === 0) return Promise.resolve();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.#round = { seq, waiting, done, finish: () => this.#finish(finish) };
    this.#timer = setTimeout(() => this.#round?.finish(), this.#deadlineMs);
    return done;
  }

  /** A worker answered `seq`; the round ends when the last one it waits for did. */
  onReport(id: number, seq: number): void {
    const round = this.#round;
    if (!round || round.seq !== seq) return;
    round.waiting.delete(id);
    if (round.waiting.size === 0) round.finish();
  }

  /** Whether `wp` was asked in the latest round and has not answered it: its counts are its last report. */
  isStale(wp: Pick<QueriedWorker, 'id' | 'sessionsSeq'>): boolean {
    return this.#asked.ids.has(wp.id) && wp.sessionsSeq < this.#asked.seq;
  }

  /** Ends the round in flight now; safe to call twice. */
  close(): void {
    this.#round?.finish();
  }

  #finish(resolve: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#round = null;
    resolve();
  }
}
