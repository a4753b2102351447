/**
 * How many session permits a worker asks for at once, and when it asks for
 * more or hands some back. Pure arithmetic for the worker, which spends
 * permits; the supervisor's side of the lease is supervisor/ledger.ts. The
 * ledger's tests and the admission benchmark model workers with it too.
 * docs/session-limits.md argues why the node-wide limit holds.
 */
export interface LeasePolicy {
  /** Permits asked for on top of the sessions waiting. */
  batch: number;
  /** Ask for more before running dry, when free permits drop below this. */
  lowWater: number;
  /** Hand surplus back once free permits exceed this. */
  highWater: number;
}

export function leasePolicy(limit: number, workers: number): LeasePolicy {
  const batch = Math.min(64, Math.max(1, Math.floor(limit / (4 * Math.max(1, workers)))));
  return { batch, lowWater: Math.floor(batch / 4), highWater: batch * 2 };
}

/**
 * A worker's local view of its lease: `granted` permits from the supervisor,
 * `inUse` of them held by open sessions. inUse <= granted always holds, so
 * the sessions a worker admits never exceed what the ledger granted it.
 */
export class LeaseAccount {
  granted = 0;
  inUse = 0;

  get free(): number {
    return this.granted - this.inUse;
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.granted) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    if (this.inUse === 0) throw new Error('LeaseAccount.release without a permit in use');
    this.inUse--;
  }

  grant(count: number): void {
    this.granted += count;
  }

  /** Gives up to `max` free permits back; the caller reports the count to the supervisor. */
  surrender(max = Infinity): number {
    const count = Math.max(0, Math.min(this.free, max));
    this.granted -= count;
    return count;
  }
}

/**
 * A worker's view of whether the node is full, as the supervisor last pushed
 * it. Each push carries the ledger's generation; one no newer than the last
 * applied is stale and changes nothing, so an old "full" can never undo a
 * newer release, however the pushes were delayed.
 */
export class LimitView {
  reached = false;
  generation = 0;

  /** Applies a push; false when it was stale. */
  apply(generation: number, reached: boolean): boolean {
    if (generation <= this.generation) return false;
    this.generation = generation;
    this.reached = reached;
    return true;
  }
}
