import type { ReloadOutcome, ReloadRecord } from '../contracts/status.js';

/** The reloads as GET /status and GET /metrics show them. */
export interface ReloadView {
  readonly inProgress: boolean;
  /** The running reload (no outcome yet) or the last one; a refusal never hides a running reload. */
  readonly last: ReloadRecord | null;
  readonly counts: Readonly<Record<ReloadOutcome, number>>;
  readonly durationsSeconds: readonly number[];
}

/** What the supervisor remembers of its reloads: the last one, the counts by outcome, the durations. */
export class ReloadHistory implements ReloadView {
  readonly counts: Record<ReloadOutcome, number> = { completed: 0, refused: 0, aborted: 0 };
  readonly durationsSeconds: number[] = [];
  #last: ReloadRecord | null = null;
  #inProgress = false;

  get inProgress(): boolean {
    return this.#inProgress;
  }

  get last(): ReloadRecord | null {
    return this.#last;
  }

  begin(startedAt: Date): void {
    this.#inProgress = true;
    this.#last = { started_at: startedAt.toISOString(), finished_at: null, outcome: null, reason: null };
  }

  /** A reload ran to its outcome, completed or aborted. */
  record(record: ReloadRecord, durationMs: number): void {
    this.#last = record;
    if (record.outcome) this.counts[record.outcome]++;
    this.durationsSeconds.push(durationMs / 1000);
  }

  /** The reload is over, whatever its outcome: the next one may start. */
  end(): void {
    this.#inProgress = false;
  }

  /** A reload asked for at `startedAt` was refused: nothing changed, and a running reload stays the one shown. */
  refused(startedAt: Date, reason: string): ReloadRecord & { finished_at: string; outcome: 'refused' } {
    const record = { started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), outcome: 'refused' as const, reason };
    this.counts.refused++;
    if (!this.#inProgress) this.#last = record;
    return record;
  }
}
