import t from 'tap';
import type { SupervisorToWorker } from '../../../contracts/ipc.js';
import { SessionsQuery, type QueriedWorker } from '../../../supervisor/sessions-query.js';
import type { ProcessState } from '../../../supervisor/worker-process.js';

/** A worker that records what it was sent; `answer` makes it reply as the supervisor's dispatch would. */
class FakeWorker implements QueriedWorker {
  sessionsSeq = 0;
  readonly sent: SupervisorToWorker[] = [];
  constructor(
    readonly id: number,
    readonly state: ProcessState = 'ready',
    readonly isConnected = true,
  ) {}
  send(msg: SupervisorToWorker): void {
    this.sent.push(msg);
  }
  answer(query: SessionsQuery, seq = this.lastSeq): void {
    this.sessionsSeq = seq;
    query.onReport(this.id, seq);
  }
  get lastSeq(): number {
    const last = this.sent.at(-1);
    return last?.type === 'sessions_query' ? last.seq : -1;
  }
}

function setup(workers: FakeWorker[], deadlineMs = 10_000) {
  const query = new SessionsQuery(() => workers, deadlineMs);
  t.teardown(() => query.close());
  return query;
}

t.test('asks every ready and draining worker once, and resolves when the last one answered', async (t) => {
  const [a, b, c] = [new FakeWorker(1), new FakeWorker(2, 'draining'), new FakeWorker(3, 'starting')];
  const query = setup([a, b, c]);
  let done = false;
  const round = query.refresh().then(() => (done = true));
  t.same(a.sent, [{ type: 'sessions_query', schema_version: 1, seq: 1 }]);
  t.same(b.sent, [{ type: 'sessions_query', schema_version: 1, seq: 1 }]);
  t.same(c.sent, [], 'a starting worker serves nothing yet and is not asked');
  a.answer(query);
  await Promise.resolve();
  t.equal(done, false, 'still waiting for the draining one');
  b.answer(query);
  await round;
  t.equal(query.isStale(a) || query.isStale(b) || query.isStale(c), false, 'nobody is stale');
});

t.test('concurrent callers share the round in flight: one query per worker', async (t) => {
  const a = new FakeWorker(1);
  const query = setup([a]);
  const first = query.refresh();
  const second = query.refresh();
  t.equal(first, second);
  t.equal(a.sent.length, 1);
  a.answer(query);
  await first;
  void query.refresh();
  t.equal(a.sent.length, 2, 'a later call starts a new round');
  t.same(a.sent[1], { type: 'sessions_query', schema_version: 1, seq: 2 });
});

/** Two workers after round 1, which only `a` answered: it ended at the deadline (20 ms). */
async function afterRoundOneWithoutB() {
  const [a, b] = [new FakeWorker(1), new FakeWorker(2)];
  const query = setup([a, b], 20);
  const round = query.refresh();
  a.answer(query);
  await round;
  return { a, b, query };
}

t.test('at the deadline it resolves anyway, and the worker that did not answer is stale', async (t) => {
  const { a, b, query } = await afterRoundOneWithoutB();
  t.equal(query.isStale(a), false);
  t.equal(query.isStale(b), true);
  b.answer(query, 1);
  t.equal(query.isStale(b), false, 'a late answer to that round makes its counts current again');
});

t.test('an answer to an older round does not end the current one', async (t) => {
  const { a, b, query } = await afterRoundOneWithoutB();
  let done = false;
  const second = query.refresh().then(() => (done = true));
  a.answer(query);
  b.answer(query, 1);
  await Promise.resolve();
  t.equal(done, false);
  t.equal(query.isStale(b), true, 'answered round 1, not round 2');
  b.answer(query);
  await second;
  t.equal(query.isStale(b), false);
});

t.test('a worker whose channel closed is stale at once, without a wait', async (t) => {
  const gone = new FakeWorker(1, 'draining', false);
  const query = setup([gone]);
  await query.refresh();
  t.same(gone.sent, []);
  t.equal(query.isStale(gone), true);
});

t.test('with no worker to ask it resolves at once; close() ends a round in flight', async (t) => {
  await setup([]).refresh();
  const a = new FakeWorker(1);
  const query = setup([a]);
  const round = query.refresh();
  query.close();
  await round;
  t.equal(query.isStale(a), true);
  query.close();
});
