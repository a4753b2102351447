import type { SessionCounts } from '../contracts/cluster.js';
import type { SessionKind, WorkerStats } from '../contracts/ipc.js';
import type { Ledger } from './ledger.js';

/** A worker as far as its session counts go: its id in the ledger and its last report. */
export interface ReportingWorker {
  readonly id: number;
  readonly stats: WorkerStats | null;
}

/** The node's sessions as GET /status, GET /metrics and the cluster state show them. */
export interface SessionView {
  of(wp: ReportingWorker): SessionCounts;
  total(): SessionCounts;
  /** Permits the ledgers have leased out. */
  leased(): SessionCounts;
}

/**
 * A worker's sessions as last reported (heartbeats, about once a second),
 * bounded by what the ledger holds for it: a worker never has more open
 * than it was granted, so the bound only trims a stale sample. Without it
 * the sum of samples taken at different instants could read above the
 * limit while sessions move between workers (docs/session-limits.md).
 */
export class SessionTotals implements SessionView {
  readonly #ledgers: Readonly<Record<SessionKind, Pick<Ledger, 'heldBy' | 'leased'>>>;
  readonly #workers: () => Iterable<ReportingWorker>;

  constructor(ledgers: Readonly<Record<SessionKind, Pick<Ledger, 'heldBy' | 'leased'>>>, workers: () => Iterable<ReportingWorker>) {
    this.#ledgers = ledgers;
    this.#workers = workers;
  }

  of(wp: ReportingWorker): SessionCounts {
    return {
      http: Math.min(wp.stats?.sessions.http ?? 0, this.#ledgers.http.heldBy(wp.id)),
      websocket: Math.min(wp.stats?.sessions.websocket ?? 0, this.#ledgers.websocket.heldBy(wp.id)),
    };
  }

  total(): SessionCounts {
    let http = 0;
    let websocket = 0;
    for (const wp of this.#workers()) {
      const s = this.of(wp);
      http += s.http;
      websocket += s.websocket;
    }
    return { http, websocket };
  }

  leased(): SessionCounts {
    return { http: this.#ledgers.http.leased, websocket: this.#ledgers.websocket.leased };
  }
}
