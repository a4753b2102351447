import t from 'tap';
import { LATENCY_BUCKETS_SECONDS, type WorkerStats } from '../../../contracts/ipc.js';
import { NodeTotals } from '../../../supervisor/node-totals.js';

/** A step without stats is the worker's exit. A cumulative worker report with `ok` 2xx responses, `busy` rejections and `latencyCount` timed requests in the first bucket. */
function report(ok: number, busy = 0, latencyCount = ok): WorkerStats {
  return {
    sessions: { http: 0, websocket: 0 },
    event_loop_lag_ms: 0,
    rss_bytes: 1,
    requests: { '1xx': 0, '2xx': ok, '3xx': 0, '4xx': 0, '5xx': 0 },
    rejected: { http_session_limit: busy, websocket_session_limit: 0 },
    timeouts: { header: 0, body: 0, idle: 0, write: 0, pong: 0, handshake: 0 },
    tls_handshake_failures: { protocol: 0, no_client_certificate: 0, bad_client_certificate: 0, other: 0 },
    latency: { bucket_counts: LATENCY_BUCKETS_SECONDS.map(() => latencyCount), sum_seconds: latencyCount / 1000, count: latencyCount },
  };
}

interface Step {
  worker: number;
  stats?: WorkerStats;
}

for (const c of [
  { name: 'adds the first report of a worker in full', steps: [{ worker: 1, stats: report(5) }], ok: 5, busy: 0, count: 5 },
  { name: 'adds only the delta of a later report', steps: [{ worker: 1, stats: report(5) }, { worker: 1, stats: report(8) }], ok: 8, busy: 0, count: 8 },
  { name: 'sums the reports of several workers', steps: [{ worker: 1, stats: report(5, 1) }, { worker: 2, stats: report(3, 2) }, { worker: 2, stats: report(4, 2) }], ok: 9, busy: 3, count: 9 },
  { name: 'keeps what an exited worker counted', steps: [{ worker: 1, stats: report(5) }, { worker: 1 }, { worker: 2, stats: report(1) }], ok: 6, busy: 0, count: 6 },
  { name: 'never goes backwards when a report is lower than the previous one', steps: [{ worker: 1, stats: report(5, 2) }, { worker: 1, stats: report(3, 1) }], ok: 5, busy: 2, count: 5 },
  { name: 'repeats of the same report add nothing', steps: [{ worker: 1, stats: report(5) }, { worker: 1, stats: report(5) }, { worker: 1, stats: report(5) }], ok: 5, busy: 0, count: 5 },
] satisfies Array<{ name: string; steps: Step[]; ok: number; busy: number; count: number }>) {
  t.test(c.name, async (t) => {
    const totals = new NodeTotals();
    for (const s of c.steps) {
      if (s.stats) totals.add(s.worker, s.stats);
      else totals.forget(s.worker);
    }
    t.equal(totals.requests['2xx'], c.ok);
    t.equal(totals.rejected.http_session_limit, c.busy);
    t.equal(totals.latencyCount, c.count);
    t.same(totals.latencyBuckets, LATENCY_BUCKETS_SECONDS.map(() => c.count), 'cumulative buckets add up across workers');
  });
}
