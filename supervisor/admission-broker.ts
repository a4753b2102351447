import type { Config } from '../contracts/config.js';
import type { SessionKind, SupervisorToWorker, WorkerToSupervisor } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION, SESSION_KINDS } from '../contracts/ipc.js';
import { Ledger } from './ledger.js';

type LeaseRequest = Extract<WorkerToSupervisor, { type: 'lease_request' }>;
type LeaseReturn = Extract<WorkerToSupervisor, { type: 'lease_return' }>;

/** A worker that does not answer a reclaim within this is counted as having nothing to give. */
export const RECLAIM_TIMEOUT_MS = 500;

/** The node-wide session limits a config sets, by kind. */
export function sessionLimits(config: Config): Record<SessionKind, number> {
  return { http: config.runtimeLimits.maxConcurrentHTTPSessions, websocket: config.runtimeLimits.maxConcurrentWebSocketSessions };
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
 */
export class AdmissionBroker {
  readonly ledgers: Record<SessionKind, Ledger>;
  readonly #send: (worker: number, msg: SupervisorToWorker) => void;
  readonly #isAlive: (worker: number) => boolean;
  readonly #queues: Record<SessionKind, Array<{ worker: number; msg: LeaseRequest }>> = { http: [], websocket: [] };
  readonly #busy: Record<SessionKind, boolean> = { http: false, websocket: false };
  readonly #rounds: Record<SessionKind, Round | null> = { http: null, websocket: null };
  #reclaimSeq = 0;

  constructor(limits: Record<SessionKind, number>, send: (worker: number, msg: SupervisorToWorker) => void, isAlive: (worker: number) => boolean) {
    this.ledgers = { http: new Ledger('http', limits.http), websocket: new Ledger('websocket', limits.websocket) };
    this.#send = send;
    this.#isAlive = isAlive;
  }

  onRequest(worker: number, msg: LeaseRequest): void {
    this.#queues[msg.kind].push({ worker, msg });
    void this.#serve(msg.kind);
  }

  onReturn(worker: number, msg: LeaseReturn): void {
    this.ledgers[msg.kind].giveBack(worker, msg.count);
    const round = this.#rounds[msg.kind];
    if (round && msg.seq === round.seq && round.waitingOn.delete(worker) && round.waitingOn.size === 0) round.done();
  }

  /** The worker exited: its permits return to the pool at once, and no round waits on it. */
  forget(worker: number): void {
    for (const kind of SESSION_KINDS) {
      this.ledgers[kind].forget(worker);
      const round = this.#rounds[kind];
      if (round?.waitingOn.delete(worker) && round.waitingOn.size === 0) round.done();
    }
  }

  setLimits(limits: Record<SessionKind, number>): void {
    for (const kind of SESSION_KINDS) this.ledgers[kind].setLimit(limits[kind]);
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
        if (granted < msg.need) {
          await this.#reclaim(kind, worker);
          if (!this.#isAlive(worker)) continue;
          granted += ledger.grant(worker, msg.need - granted);
        }
        this.#send(worker, { type: 'lease_grant', schema_version: IPC_SCHEMA_VERSION, kind, seq: msg.seq, count: granted });
      }
    } finally {
      this.#busy[kind] = false;
    }
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
      for (const w of holders) this.#send(w, { type: 'lease_reclaim', schema_version: IPC_SCHEMA_VERSION, kind, seq });
    });
  }
}
