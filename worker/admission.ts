import type { SessionKind, WorkerToSupervisor } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION } from '../contracts/ipc-constants.js';
import { LeaseAccount, LimitView, type LeasePolicy } from '../shared/lease-policy.js';

export type AdmitCallback = (admitted: boolean) => void;

/**
 * Node-wide session admission, decided locally in the common case: the
 * worker spends permits from its lease without any IPC, and only asks the
 * supervisor when it runs low. A session that finds no free permit waits for
 * the answer; only if the supervisor (after reclaiming idle permits from the
 * other workers) has none is it refused. From then on the supervisor says
 * the node is full (`limit_reached`), and a session that finds no free
 * permit is refused at once, asking nothing, until a release lifts that
 * (docs/session-limits.md, "The node is full").
 */
export class Admission {
  readonly account = new LeaseAccount();
  readonly limit = new LimitView();
  readonly #kind: SessionKind;
  readonly #policy: LeasePolicy;
  readonly #send: (msg: WorkerToSupervisor) => void;
  #seq = 0;
  #inFlight: { seq: number; waiters: AdmitCallback[] } | null = null;
  #queued: AdmitCallback[] = [];

  constructor(kind: SessionKind, policy: LeasePolicy, send: (msg: WorkerToSupervisor) => void) {
    this.#kind = kind;
    this.#policy = policy;
    this.#send = send;
  }

  /**
   * True when admitted at once. Otherwise `later` gets the verdict: before
   * this returns when the node is full (refused, nothing asked), else once
   * the supervisor answers.
   */
  admit(later: AdmitCallback): boolean {
    if (this.#queued.length === 0 && this.account.tryAcquire()) {
      if (this.account.free < this.#policy.lowWater && !this.#inFlight) this.#request();
      return true;
    }
    if (this.limit.reached) {
      later(false);
      return false;
    }
    this.#queued.push(later);
    if (!this.#inFlight) this.#request();
    return false;
  }

  release(): void {
    this.account.release();
    const next = this.#inFlight?.waiters.shift() ?? this.#queued.shift();
    if (next) {
      this.account.tryAcquire();
      next(true);
      return;
    }
    // While the node is full the other workers refuse without asking: the permit must reach the pool, whose
    // supervisor then lifts the state for all of them.
    if (this.limit.reached) return this.#return(this.account.surrender(), 0);
    const surplus = this.account.free - this.#policy.highWater;
    if (surplus > 0 && this.#queued.length === 0) this.#return(this.account.surrender(surplus), 0);
  }

  onGrant(seq: number, count: number): void {
    this.account.grant(count);
    const round = this.#inFlight;
    if (!round || round.seq !== seq) return;
    this.#inFlight = null;
    for (const waiter of round.waiters) waiter(this.account.tryAcquire());
    while (this.#queued.length > 0 && this.account.free > 0) {
      this.account.tryAcquire();
      this.#queued.shift()!(true);
    }
    if (this.#queued.length === 0) return;
    if (!this.limit.reached) return this.#request();
    // The answer came short and the node is full: those who queued behind it are refused as a new session would be.
    const refused = this.#queued;
    this.#queued = [];
    for (const waiter of refused) waiter(false);
  }

  /** The supervisor needs permits for another worker: hand back every free one. */
  onReclaim(seq: number): void {
    this.#return(this.#queued.length > 0 ? 0 : this.account.surrender(), seq);
  }

  /** The supervisor's push: the node is full, or no longer. A stale push (an older generation) changes nothing. */
  onLimitReached(generation: number, reached: boolean): void {
    if (!this.limit.apply(generation, reached) || !reached) return;
    // A permit freed here after this worker answered the reclaim round is still free: give it to the pool.
    if (this.#queued.length === 0) this.#return(this.account.surrender(), 0);
  }

  #request(): void {
    const waiters = this.#queued;
    this.#queued = [];
    this.#inFlight = { seq: ++this.#seq, waiters };
    this.#send({
      type: 'lease_request',
      schema_version: IPC_SCHEMA_VERSION,
      kind: this.#kind,
      seq: this.#inFlight.seq,
      need: waiters.length,
      want: this.#policy.batch,
    });
  }

  #return(count: number, seq: number): void {
    if (count === 0 && seq === 0) return;
    this.#send({ type: 'lease_return', schema_version: IPC_SCHEMA_VERSION, kind: this.#kind, seq, count });
  }
}
