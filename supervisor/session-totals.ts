import type { SessionCounts } from '../contracts/cluster.js';
import type { SessionKind } from '../contracts/ipc.js';
import type { Ledger } from './ledger.js';

/** A worker as far as its session counts go: its id in the ledger and its last report. */
export interface ReportingWorker {
  readonly id: number;
  /** As last reported (a sessions query's answer or a heartbeat's); null until the first report. */
  readonly sessions: SessionCounts | null;
  /** The `seq` of the last sessions query it answered. */
  readonly sessionsSeq: number;
}

/** The node's sessions as GET /status, GET /metrics and the cluster state show them. */
export interface SessionView {
  of(wp: ReportingWorker): SessionCounts;
  /** True when `wp` did not answer the latest sessions query in time: `of(wp)` is its last report. */
  isStale(wp: ReportingWorker): boolean;
  total(): SessionCounts;
  /** Permits the ledgers have leased out. */
  leased(): SessionCounts;
}

/**
 * A worker's sessions as last reported, bounded by what the ledger holds for
 * it. GET /status and GET /metrics ask every worker first (sessions-query.ts),
 * so their reports are current; the cluster state pushed to workers uses the
 * heartbeats' (about once a second). A worker never has more open than it was
 * granted, so the bound only trims a stale sample: without it the sum of
 * samples taken at different instants could read above the limit while
 * sessions move between workers (docs/session-limits.md).
 */
export class SessionTotals implements SessionView {
  readonly #ledgers: Readonly<Record<SessionKind, Pick<Ledger, 'heldBy' | 'leased'>>>;
  readonly #workers: () => Iterable<ReportingWorker>;
  readonly #isStale: (wp: ReportingWorker) => boolean;

  constructor(ledgers: Readonly<Record<SessionKind, Pick<Ledger, 'heldBy' | 'leased'>>>, workers: () => Iterable<ReportingWorker>, isStale: (wp: ReportingWorker) => boolean) {
    this.#ledgers = ledgers;
    this.#workers = workers;
    this.#isStale = isStale;
  }

  of(wp: ReportingWorker): SessionCounts {
    return {
      http: Math.min(wp.sessions?.http ?? 0, this.#ledgers.http.heldBy(wp.id)),
      websocket: Math.min(wp.sessions?.websocket ?? 0, this.#ledgers.websocket.heldBy(wp.id)),
    };
  }

  isStale(wp: ReportingWorker): boolean {
    return this.#isStale(wp);
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
