import type { Socket } from 'node:net';
import t from 'tap';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { admitSessions, closeAll, openSession } from '../helpers/sessions.js';

t.test('4 workers share a node-wide limit of 12: 12 held, 8 refused, 6 freed and reused, the 13th refused', async (t) => {
  const node = await startPropane(t, { workers: 4, args: ['--max-http-sessions', '12', '--scheduling-policy', 'round_robin'], env: WORKER_PID_HEADERS });
  const held: Socket[] = [];
  t.teardown(() => closeAll(held));

  const pids = new Set<number>();
  for (let i = 0; i < 12; i++) {
    const s = await openSession(node.port);
    held.push(s.socket);
    t.equal(s.status, 200, `session ${i + 1} of 12 admitted`);
    pids.add(s.pid);
  }
  t.equal(pids.size, 4, 'round robin spread the 12 sessions over all 4 workers');

  const refused = await Promise.all(Array.from({ length: 8 }, () => openSession(node.port)));
  t.same(refused.map((r) => r.status), Array(8).fill(503), 'the next 8 get 503');
  closeAll(refused.map((r) => r.socket));

  // Sessions are counted as /status answers; the rejection counters come with the next heartbeats.
  const status = await node.waitForStatus((s) => s.totals.sessions.http === 12 && s.totals.rejected.http_session_limit === 8);
  t.equal(status.totals.sessions.http, 12, 'GET /status totals.sessions.http = 12');
  t.same(status.totals.limits, { http: 12, websocket: 256 });
  t.equal(status.totals.leased.http, 12, 'the ledger has leased exactly the limit');
  t.equal(status.totals.rejected.http_session_limit, 8);
  t.ok(status.workers.every((w) => w.sessions.http >= 1), `every worker reports its share: ${status.workers.map((w) => w.sessions.http).join(',')}`);

  closeAll(held.splice(0, 6));
  // Freed permits reach the pool when the workers see the close; poll with fresh sessions until all 6 fit.
  const admitted = await admitSessions(node.port, 6, held);
  t.same(admitted.map((s) => s.status), Array(6).fill(200), '6 new sessions are admitted in place of the 6 closed');

  const thirteenth = await openSession(node.port);
  t.equal(thirteenth.status, 503, 'the 13th concurrent session is refused');
  thirteenth.socket.destroy();

  const after = await node.waitForStatus((s) => s.totals.sessions.http === 12);
  t.equal(after.totals.sessions.http, 12);
  t.ok(after.totals.leased.http <= 12);
});
