import type { SessionKind } from '../contracts/ipc.js';

/**
 * The node-wide session ledger for one kind (docs/session-limits.md): how many
 * permits each worker holds. Permits leave the pool only by `grant` and come
 * back by `giveBack` or `forget` (the worker died), so at every instant
 * sum(granted) <= limit, and a worker admits only what it was granted.
 *
 * It also keeps whether the node is full ("The node is full"): marked when
 * a waiting session could not be covered, lifted by the first permit back in
 * the pool. Each change bumps `generation`, which the supervisor pushes to
 * every worker; reached implies an empty pool at every instant.
 */
export class Ledger {
  readonly #kind: SessionKind;
  #limit: number;
  readonly #held = new Map<number, number>();
  #leased = 0;
  #reached = false;
  #generation = 0;

  constructor(kind: SessionKind, limit: number) {
    this.#kind = kind;
    this.#limit = limit;
  }

  get leased(): number {
    return this.#leased;
  }

  /** Permits in the pool; 0 while a lowered limit is still above what is leased. */
  get free(): number {
    return Math.max(0, this.#limit - this.#leased);
  }

  /** Whether the node is full, as last pushed to the workers. */
  get reached(): boolean {
    return this.#reached;
  }

  /** Counts the changes of `reached`: what the workers compare to drop a stale push. */
  get generation(): number {
    return this.#generation;
  }

  /** A waiting session found the pool empty, after the reclaim round: true when that is news to push. */
  markReached(): boolean {
    if (this.#reached) return false;
    if (this.free > 0) throw new Error(`ledger(${this.#kind}): marked full with ${this.free} permits in the pool`);
    this.#reached = true;
    this.#generation++;
    return true;
  }

  heldBy(worker: number): number {
    return this.#held.get(worker) ?? 0;
  }

  holders(): number[] {
    return [...this.#held.keys()];
  }

  /** Grants up to `want` from the pool and returns how many. */
  grant(worker: number, want: number): number {
    const count = Math.max(0, Math.min(Math.trunc(want), this.free));
    if (count > 0) {
      this.#held.set(worker, this.heldBy(worker) + count);
      this.#leased += count;
      // A grant only ever comes out of the pool; a lowered limit stops grants, it never goes negative.
      if (this.#leased > this.#limit) throw new Error(`ledger(${this.#kind}): leased ${this.#leased} > limit ${this.#limit}`);
    }
    return count;
  }

  /** A worker handed permits back; never more than it holds, whatever it claims. */
  giveBack(worker: number, count: number): number {
    const returned = Math.max(0, Math.min(Math.trunc(count), this.heldBy(worker)));
    this.#release(worker, returned);
    return returned;
  }

  /** The worker is gone: everything it held returns to the pool at once. */
  forget(worker: number): number {
    const held = this.heldBy(worker);
    this.#release(worker, held);
    this.#held.delete(worker);
    return held;
  }

  setLimit(limit: number): void {
    this.#limit = limit;
    this.#liftIfRoom();
  }

  #release(worker: number, count: number): void {
    if (count === 0) return;
    const left = this.heldBy(worker) - count;
    if (left === 0) this.#held.delete(worker);
    else this.#held.set(worker, left);
    this.#leased -= count;
    if (this.#leased < 0) throw new Error(`ledger(${this.#kind}): leased ${this.#leased} < 0`);
    this.#liftIfRoom();
  }

  /** Any release lifts a full node: a permit is in the pool again, so whichever worker asks next gets it. */
  #liftIfRoom(): void {
    if (!this.#reached || this.free === 0) return;
    this.#reached = false;
    this.#generation++;
  }
}
