import type { Socket } from 'node:net';
import t from 'tap';
import { isCompleteResponse, parseRawResponse, rawConnect, readUntil } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { admitSessions, closeAll, openSession, readToClose } from '../helpers/sessions.js';

// Under reuse_port each worker accepts on its own socket, and the node-wide
// limits, the 503 and the 408 are what they are under the other policies
// (docs/session-limits.md): admission does not depend on how a connection arrived.
const LIMIT = 20;

t.test(`2 workers under reuse_port share a node-wide limit of ${LIMIT}: all held across both, the next get the exact 503, freed ones are reused`, { skip: REUSE_PORT_SKIP }, async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', String(LIMIT), '--scheduling-policy', 'reuse_port'], env: WORKER_PID_HEADERS });
  const held: Socket[] = [];
  t.teardown(() => closeAll(held));

  const pids = new Map<number, number>();
  for (let i = 0; i < LIMIT; i++) {
    const s = await openSession(node.port);
    held.push(s.socket);
    t.equal(s.status, 200, `session ${i + 1} of ${LIMIT} admitted`);
    pids.set(s.pid, (pids.get(s.pid) ?? 0) + 1);
  }
  // The kernel hashes each connection to a socket: both workers hold some (all 20 on one is a 1 in 500 000 event).
  t.equal(pids.size, 2, `the sessions are spread over both workers: ${JSON.stringify([...pids])}`);

  const refused: Socket[] = [];
  t.teardown(() => closeAll(refused));
  for (let i = 0; i < 10; i++) {
    const s = await rawConnect(node.port);
    refused.push(s);
    s.write(`GET /over-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const a = await readToClose(s);
    t.equal(a.status, 503, `session ${LIMIT + i + 1} refused`);
    t.equal(a.body, 'server busy\n');
    t.equal(a.headers['retry-after'], '1');
    t.equal(a.headers['connection'], 'close');
    t.equal(a.headers['x-arlen-backpressure-reason'], 'http_session_limit');
    t.equal(a.closed, true, 'the server closed the socket after the write');
  }

  const status = await node.waitForStatus((s) => s.totals.sessions.http === LIMIT && s.totals.rejected.http_session_limit === 10);
  t.equal(status.supervisor.scheduling_policy, 'reuse_port');
  t.same(status.totals.limits, { http: LIMIT, websocket: 256 });
  t.equal(status.totals.leased.http, LIMIT, 'the ledger has leased exactly the limit');
  t.same(status.workers.map((w) => w.sessions.http).sort(), [...pids.values()].sort(), 'each worker reports the sessions it holds');

  closeAll(held.splice(0, 8));
  const admitted = await admitSessions(node.port, 8, held);
  t.same(admitted.map((s) => s.status), Array(8).fill(200), '8 new sessions are admitted in place of the 8 closed');
  const over = await openSession(node.port);
  t.equal(over.status, 503, `session ${LIMIT + 1} is refused again`);
  over.socket.destroy();
  t.equal((await node.waitForStatus((s) => s.totals.sessions.http === LIMIT)).totals.sessions.http, LIMIT);
});

t.test('under reuse_port, headers not complete within headerSeconds get the exact 408', { skip: REUSE_PORT_SKIP }, async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--scheduling-policy', 'reuse_port'], config: { timeouts: { headerSeconds: 1 } } });
  const sockets: Socket[] = [];
  t.teardown(() => closeAll(sockets));
  // Several connections, so that both workers' sockets are exercised whatever the hash picks.
  const answers = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const s = await rawConnect(node.port);
      sockets.push(s);
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      return parseRawResponse(await readUntil(s, isCompleteResponse, 8_000));
    }),
  );
  for (const a of answers) {
    t.equal(a.status, 408);
    t.equal(a.body, 'request timeout\n');
    t.equal(a.headers['x-arlen-timeout-reason'], 'header');
    t.equal(a.headers['connection'], 'close');
  }
});
