import type { SessionKind } from '../contracts/ipc.js';

/**
 * The node-wide session ledger for one kind (docs/session-limits.md): how many
 * permits each worker holds. Permits leave the pool only by `grant` and come
 * back by `giveBack` or `forget` (the worker died), so at every instant
 * sum(granted) <= limit, and a worker admits only what it was granted.
 */
export class Ledger {
  readonly #kind: SessionKind;
  #limit: number;
  readonly #held = new Map<number, number>();
  #leased = 0;

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
  }

  #release(worker: number, count: number): void {
    if (count === 0) return;
    const left = this.heldBy(worker) - count;
    if (left === 0) this.#held.delete(worker);
    else this.#held.set(worker, left);
    this.#leased -= count;
    this.#check();
  }

  #check(): void {
    if (this.#leased < 0) throw new Error(`ledger(${this.#kind}): leased ${this.#leased} < 0`);
  }
}
