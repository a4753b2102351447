import type { SessionKind, WorkerToSupervisor } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION } from '../contracts/ipc-constants.js';
import { LeaseAccount, type LeasePolicy } from '../shared/lease-policy.js';

export type AdmitCallback = (admitted: boolean) => void;

/**
 * Node-wide session admission, decided locally in the common case: the
 * worker spends permits from its lease without any IPC, and only asks the
 * supervisor when it runs low. A session that finds no free permit waits for
 * the answer; only if the supervisor (after reclaiming idle permits from the
 * other workers) has none is it refused.
 */
export class Admission {
  readonly account = new LeaseAccount();
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

  /** True when admitted at once; otherwise `later` is called with the verdict. */
  admit(later: AdmitCallback): boolean {
    if (this.#queued.length === 0 && this.account.tryAcquire()) {
      if (this.account.free < this.#policy.lowWater && !this.#inFlight) this.#request();
      return true;
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
    if (this.#queued.length > 0) this.#request();
  }

  /** The supervisor needs permits for another worker: hand back every free one. */
  onReclaim(seq: number): void {
    this.#return(this.#queued.length > 0 ? 0 : this.account.surrender(), seq);
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
