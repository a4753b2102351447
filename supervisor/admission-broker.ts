import type { Config } from '../contracts/config.js';
import type { SessionKind, SupervisorToWorker, WorkerToSupervisor } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION, SESSION_KINDS } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import { Ledger } from './ledger.js';

type LeaseRequest = Extract<WorkerToSupervisor, { type: 'lease_request' }>;
type LeaseReturn = Extract<WorkerToSupervisor, { type: 'lease_return' }>;

/** A worker that does not answer a reclaim within this is counted as having nothing to give. */
export const RECLAIM_TIMEOUT_MS = 500;

/** The node-wide session limits a config sets, by kind. */
export function sessionLimits(config: Config): Record<SessionKind, number> {
  return { http: config.runtimeLimits.maxConcurrentHTTPSessions, websocket: config.runtimeLimits.maxConcurrentWebSocketSessions };
}

/** A worker as the broker reaches it, by cluster id. */
export interface BrokerWorker {
  readonly id: number;
  readonly pid: number;
  readonly isAlive: boolean;
  send(msg: SupervisorToWorker): void;
}

/** The workers of the node (the worker pool is one). */
export interface BrokerWorkers {
  get(id: number): BrokerWorker | undefined;
  workers(): Iterable<BrokerWorker>;
}

interface Round {
  seq: number;
  waitingOn: Set<number>;
  done: () => void;
}

/**
 * Serves the workers' lease requests from the ledger. When the pool cannot
 * cover the sessions a worker has waiting, it first reclaims the free permits
 * of the other workers, so capacity idle in one worker never makes another
 * refuse (docs/session-limits.md, utilisation). Requests of one kind are served one
 * at a time: a reclaim round finishes before the next request is looked at.
 * When even the round leaves a waiting session uncovered, the node is full:
 * every worker is told (`limit_reached`) and refuses on its own, asking
 * nothing, until a permit comes back to the pool and that is pushed too.
 */
export class AdmissionBroker {
  readonly ledgers: Record<SessionKind, Ledger>;
  readonly #workers: BrokerWorkers;
  readonly #log: Logger;
  readonly #queues: Record<SessionKind, Array<{ worker: number; msg: LeaseRequest }>> = { http: [], websocket: [] };
  readonly #busy: Record<SessionKind, boolean> = { http: false, websocket: false };
  readonly #rounds: Record<SessionKind, Round | null> = { http: null, websocket: null };
  #reclaimSeq = 0;

  constructor(limits: Record<SessionKind, number>, workers: BrokerWorkers, log: Logger) {
    this.ledgers = { http: new Ledger('http', limits.http), websocket: new Ledger('websocket', limits.websocket) };
    this.#workers = workers;
    this.#log = log;
  }

  onRequest(worker: number, msg: LeaseRequest): void {
    this.#queues[msg.kind].push({ worker, msg });
    void this.#serve(msg.kind);
  }

  onReturn(worker: number, msg: LeaseReturn): void {
    this.#releasing(msg.kind, () => this.ledgers[msg.kind].giveBack(worker, msg.count));
    const round = this.#rounds[msg.kind];
    if (round && msg.seq === round.seq && round.waitingOn.delete(worker) && round.waitingOn.size === 0) round.done();
  }

  /** The worker exited: its permits return to the pool at once, and no round waits on it. */
  forget(worker: number): void {
    for (const kind of SESSION_KINDS) {
      this.#releasing(kind, () => this.ledgers[kind].forget(worker));
      const round = this.#rounds[kind];
      if (round?.waitingOn.delete(worker) && round.waitingOn.size === 0) round.done();
    }
  }

  /**
   * A reload's limits. A limit lowered below what the workers hold takes back every free permit at
   * once, so none is spent on a new session over the new limit: only the sessions already admitted
   * (and those admitted while the message travels) stay above it, until they end.
   */
  setLimits(limits: Record<SessionKind, number>): void {
    for (const kind of SESSION_KINDS) {
      this.#releasing(kind, () => this.ledgers[kind].setLimit(limits[kind]));
      if (this.ledgers[kind].leased <= limits[kind]) continue;
      const seq = ++this.#reclaimSeq;
      for (const w of this.ledgers[kind].holders()) this.#workers.get(w)?.send({ type: 'lease_reclaim', schema_version: IPC_SCHEMA_VERSION, kind, seq });
    }
  }

  #isAlive(worker: number): boolean {
    return this.#workers.get(worker)?.isAlive ?? false;
  }

  async #serve(kind: SessionKind): Promise<void> {
    if (this.#busy[kind]) return;
    this.#busy[kind] = true;
    const ledger = this.ledgers[kind];
    const queue = this.#queues[kind];
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { worker, msg } = next;
        if (!this.#isAlive(worker)) continue;
        let granted = ledger.grant(worker, msg.need + msg.want);
        // While the node is full the round already ran: every other worker gave back its free permits, or does
        // so as the push reaches it (that return lifts the state). A request then is one that crossed the push.
        if (granted < msg.need && !ledger.reached) {
          await this.#reclaim(kind, worker);
          if (!this.#isAlive(worker)) continue;
          granted += ledger.grant(worker, msg.need - granted);
        }
        if (granted < msg.need) {
          if (ledger.markReached()) this.#pushAll(kind);
          // The asker had not heard, or it would not have asked: tell it again (a repeat of a generation is dropped).
          else this.#push(kind, this.#workers.get(worker));
        }
        logEvent(this.#log, 'debug', 'lease_request', { kind, worker_pid: this.#workers.get(worker)?.pid, need: msg.need, want: msg.want, granted }, 'lease request served');
        this.#workers.get(worker)?.send({ type: 'lease_grant', schema_version: IPC_SCHEMA_VERSION, kind, seq: msg.seq, count: granted });
      }
    } finally {
      this.#busy[kind] = false;
    }
  }

  /** Runs a change that may put permits back in the pool; when that lifted a full node, every worker hears it. */
  #releasing(kind: SessionKind, change: () => unknown): void {
    const before = this.ledgers[kind].generation;
    change();
    if (this.ledgers[kind].generation !== before) this.#pushAll(kind);
  }

  #pushAll(kind: SessionKind): void {
    const { generation, reached } = this.ledgers[kind];
    logEvent(this.#log, 'debug', 'limit_reached', { kind, generation, reached }, reached ? 'node full: workers refuse locally' : 'node no longer full');
    for (const w of this.#workers.workers()) this.#push(kind, w);
  }

  #push(kind: SessionKind, w: BrokerWorker | undefined): void {
    const { generation, reached } = this.ledgers[kind];
    if (w?.isAlive) w.send({ type: 'limit_reached', schema_version: IPC_SCHEMA_VERSION, kind, generation, reached });
  }

  #reclaim(kind: SessionKind, requester: number): Promise<void> {
    const holders = this.ledgers[kind].holders().filter((w) => w !== requester && this.#isAlive(w));
    if (holders.length === 0) return Promise.resolve();
    const seq = ++this.#reclaimSeq;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, RECLAIM_TIMEOUT_MS);
      const round: Round = { seq, waitingOn: new Set(holders), done: finish };
      const self = this;
      function finish(): void {
        clearTimeout(timer);
        if (self.#rounds[kind] === round) self.#rounds[kind] = null;
        resolve();
      }
      this.#rounds[kind] = round;
      for (const w of holders) this.#workers.get(w)?.send({ type: 'lease_reclaim', schema_version: IPC_SCHEMA_VERSION, kind, seq });
    });
  }
}
