import t from 'tap';
import { Ledger } from '../../../supervisor/ledger.js';
import { SessionTotals, type ReportingWorker } from '../../../supervisor/session-totals.js';

function reporting(id: number, http: number, websocket: number): ReportingWorker {
  return { id, sessions: { http, websocket }, sessionsSeq: 0 };
}

function totals(workers: ReportingWorker[], held: Array<[number, number, number]>): SessionTotals {
  const ledgers = { http: new Ledger('http', 100), websocket: new Ledger('websocket', 100) };
  for (const [id, http, websocket] of held) {
    ledgers.http.grant(id, http);
    ledgers.websocket.grant(id, websocket);
  }
  return new SessionTotals(ledgers, () => workers, (wp) => wp.id === 2);
}

for (const c of [
  { name: 'a report within what the ledger holds is taken as is', wp: reporting(1, 3, 1), held: [1, 5, 2] as [number, number, number], want: { http: 3, websocket: 1 } },
  { name: 'a stale report above what the ledger holds is cut to it', wp: reporting(1, 9, 4), held: [1, 5, 2] as [number, number, number], want: { http: 5, websocket: 2 } },
  { name: 'a worker that holds nothing has no sessions, whatever it reported', wp: reporting(1, 9, 4), held: [2, 5, 2] as [number, number, number], want: { http: 0, websocket: 0 } },
  { name: 'a worker that has not reported yet has no sessions', wp: { id: 1, sessions: null, sessionsSeq: 0 }, held: [1, 5, 2] as [number, number, number], want: { http: 0, websocket: 0 } },
]) t.test(c.name, async (t) => t.same(totals([c.wp], [c.held]).of(c.wp), c.want));

t.test('the total adds every worker, each bounded by its ledger', async (t) => {
  const s = totals([reporting(1, 3, 1), reporting(2, 9, 0)], [[1, 4, 1], [2, 6, 0]]);
  t.same(s.total(), { http: 9, websocket: 1 });
});

t.test('leased reads the ledgers', async (t) => {
  const s = totals([], [[1, 4, 1], [2, 6, 0]]);
  t.same(s.leased(), { http: 10, websocket: 1 });
});

t.test('staleness comes from the sessions query', async (t) => {
  const s = totals([], []);
  t.equal(s.isStale(reporting(1, 0, 0)), false);
  t.equal(s.isStale(reporting(2, 0, 0)), true);
});
