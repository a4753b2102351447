import type { Socket } from 'node:net';
import t from 'tap';
import { rawConnect } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS, type LogLine, type PropaneNode } from '../helpers/propane.js';
import { closeAll, openSession, readToClose, type Session } from '../helpers/sessions.js';

/**
 * docs/session-limits.md, "The node is full": once a refusal finds the pool
 * empty, the supervisor pushes limit_reached to every worker, which then
 * refuses on its own; any release lifts it. The supervisor logs every lease
 * request it serves and every push at debug level, which is how these tests
 * see what crossed IPC. Round robin hands connections to the workers in
 * turn, over the channel the pushes take, so both workers are exercised.
 */

const LIMIT = 4;

async function fullNode(t: Parameters<typeof startPropane>[0]): Promise<{ node: PropaneNode; held: Session[] }> {
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', String(LIMIT), '--scheduling-policy', 'round_robin', '--log-level', 'debug'], env: WORKER_PID_HEADERS });
  const held: Session[] = [];
  t.teardown(() => closeAll(held.map((s) => s.socket)));
  for (let i = 0; i < LIMIT; i++) held.push(await openSession(node.port));
  const refused = await openSession(node.port);
  refused.socket.destroy();
  if (held.some((s) => s.status !== 200) || refused.status !== 503) throw new Error(`not full: ${held.map((s) => s.status).join(',')} then ${refused.status}`);
  await node.waitForLog((l) => l.event === 'limit_reached' && l.reached === true);
  return { node, held };
}

const isRequest = (l: LogLine): boolean => l.event === 'lease_request';

t.test('while the node is full, both workers refuse with the exact 503 and no lease_request crosses IPC', async (t) => {
  const { node } = await fullNode(t);
  const from = node.logs.length;
  const sockets: Socket[] = [];
  t.teardown(() => closeAll(sockets));
  const pids = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const s = await rawConnect(node.port);
    sockets.push(s);
    s.write(`GET /refused-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: refused-${i}\r\n\r\n`);
    const a = await readToClose(s);
    t.same(
      { status: a.status, body: a.body, retry: a.headers['retry-after'], connection: a.headers['connection'], reason: a.headers['x-arlen-backpressure-reason'], id: a.headers['x-request-id'], closed: a.closed },
      { status: 503, body: 'server busy\n', retry: '1', connection: 'close', reason: 'http_session_limit', id: `refused-${i}`, closed: true },
      `refusal ${i}`,
    );
    pids.add(Number(a.headers['x-arlen-worker-pid']));
  }
  t.equal(pids.size, 2, 'both workers refused');
  const status = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === 21);
  t.equal(status.totals.sessions.http, LIMIT);
  t.equal(status.totals.leased.http, LIMIT);
  t.same(node.logs.slice(from).filter(isRequest), [], 'not one lease_request while the node was full');
  t.same(node.logs.slice(from).filter((l) => l.event === 'limit_reached'), [], 'and the state never changed');
});

t.test('a release on one worker lifts the full node, and the next connection is admitted on whichever worker it lands', async (t) => {
  const { node, held } = await fullNode(t);
  const crossings: boolean[] = [];
  let lastPid = held.at(-1)!.pid;
  for (let round = 0; round < 4; round++) {
    // Release on the worker that answered last: round robin hands the next connection to the other one.
    const index = held.findIndex((s) => s.pid === lastPid);
    const [released] = held.splice(index < 0 ? 0 : index, 1);
    const from = node.logs.length;
    released!.socket.destroy();
    await node.waitForLog((l) => l.event === 'limit_reached' && l.reached === false, 15_000, from);
    const next = await openSession(node.port);
    held.push(next);
    t.equal(next.status, 200, `round ${round}: the connection after the lift is admitted`);
    crossings.push(next.pid !== released!.pid);
    const over = await openSession(node.port);
    over.socket.destroy();
    t.equal(over.status, 503, `round ${round}: and the node is full again`);
    await node.waitForLog((l) => l.event === 'limit_reached' && l.reached === true, 15_000, from);
    lastPid = over.pid;
  }
  t.ok(crossings.includes(true), `a permit released on one worker admitted a session on the other (${JSON.stringify(crossings)})`);
  const status = await node.waitForStatus((s) => s.totals.sessions.http === LIMIT);
  t.equal(status.totals.leased.http, LIMIT, 'never more than the limit leased');
});
