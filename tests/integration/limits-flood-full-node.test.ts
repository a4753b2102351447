import { connect, type Socket } from 'node:net';
import t from 'tap';
import type WebSocket from 'ws';
import { isCompleteResponse, parseRawResponse, rawGet, statusOf } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { closeAll, openSession } from '../helpers/sessions.js';
import { sleep } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websocket.js';

const LIMIT = 8;
const FLOOD = 40;
const ATTEMPTS = 2500;

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/**
 * One refused client as an operator's would be: connect, send a request
 * (a WebSocket upgrade when the reason is websocket_session_limit) with an
 * id, read to the close. Anything but the exact 503 with that id and
 * reason, closed by the server without a reset, is reported.
 */
function refusedClient(port: number, i: number, reason = 'http_session_limit'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let error = '';
    const timer = setTimeout(() => socket.destroy(new Error('no close within 20 s')), 20_000);
    const upgrade = reason === 'websocket_session_limit' ? UPGRADE : '';
    socket.on('connect', () => socket.write(`GET /flood HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: flood-${i}\r\n${upgrade}\r\n`));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const r = parseRawResponse(text);
      const exact =
        r.status === 503 &&
        r.body === 'server busy\n' &&
        r.headers['retry-after'] === '1' &&
        r.headers['connection'] === 'close' &&
        r.headers['x-arlen-backpressure-reason'] === reason &&
        r.headers['x-request-id'] === `flood-${i}` &&
        r.headers['x-correlation-id'] === `flood-${i}`;
      resolve(exact && !error ? '' : `${error || 'closed'} after ${JSON.stringify(text.slice(0, 200))}`);
    });
  });
}

t.test('40 clients flood a full node of limit 8: every refusal is the exact 503, never a reset; the admitted see no error; the count never passes the limit; the full limit admits again after', async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', String(LIMIT)] });
  const admitted: Socket[] = [];
  t.teardown(() => closeAll(admitted));
  const wrong: string[] = [];
  let refusals = 0;
  let admittedRequests = 0;
  const admittedErrors: string[] = [];
  let maxLeased = 0;
  let maxSessions = 0;
  await withLoadLock(async () => {
    // Opened once the lock is held: waiting for it, they would reach the idle timeout.
    for (let i = 0; i < LIMIT; i++) {
      const s = await openSession(node.port);
      admitted.push(s.socket);
      t.equal(s.status, 200, `admitted session ${i + 1}`);
    }
    let running = true;
    let next = 0;
    const sampler = (async () => {
      while (running) {
        const s = await node.status();
        maxLeased = Math.max(maxLeased, s.totals.leased.http);
        maxSessions = Math.max(maxSessions, s.totals.sessions.http);
        await sleep(20);
      }
    })();
    // The admitted clients keep requesting on their sessions all through the flood.
    const keepAlive = admitted.map(async (socket) => {
      while (running) {
        const answer = await rawGet(socket, '/');
        if (statusOf(answer) === 200 && isCompleteResponse(answer)) admittedRequests++;
        else if (admittedErrors.length < 5) admittedErrors.push(JSON.stringify(answer.slice(0, 200)));
        if (socket.destroyed) break;
      }
    });
    await Promise.all(
      Array.from({ length: FLOOD }, async () => {
        while (next < ATTEMPTS) {
          const problem = await refusedClient(node.port, next++);
          refusals++;
          if (problem && wrong.length < 5) wrong.push(problem);
        }
      }),
    );
    running = false;
    await Promise.all([sampler, ...keepAlive]);
  });

  t.equal(refusals, ATTEMPTS);
  t.same(wrong, [], 'every flood client got the exact 503 with its own id, and a clean close');
  t.same(admittedErrors, [], `the admitted clients saw no error (${admittedRequests} requests answered 200)`);
  t.ok(admittedRequests > 0, 'and were served during the flood');
  t.ok(maxLeased <= LIMIT && maxSessions <= LIMIT, `totals.leased.http and totals.sessions.http never passed ${LIMIT} (max ${maxLeased}, ${maxSessions})`);
  const counted = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === ATTEMPTS);
  t.equal(counted.totals.rejected.http_session_limit, ATTEMPTS, '/status counted every refusal');

  closeAll(admitted.splice(0));
  await node.waitForStatus((s) => s.totals.sessions.http === 0);
  const again = await Promise.all(Array.from({ length: LIMIT }, () => openSession(node.port)));
  admitted.push(...again.map((s) => s.socket));
  t.same(again.map((s) => s.status), Array(LIMIT).fill(200), `once the flood stopped and the sessions closed, ${LIMIT} new ones are admitted at once`);
  const over = await openSession(node.port);
  over.socket.destroy();
  t.equal(over.status, 503, 'and one more is refused');
});

t.test('a flood of WebSocket upgrades past a full WebSocket limit: every one gets the exact websocket_session_limit 503, never a reset, and is counted', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('esm-object-with-websocket.js'), workers: 2, args: ['--max-websocket-sessions', '2'] });
  const sockets: WebSocket[] = [];
  t.teardown(() => sockets.forEach((ws) => ws.terminate()));
  const wrong: string[] = [];
  const attempts = 1000;
  await withLoadLock(async () => {
    for (let i = 0; i < 2; i++) sockets.push(await openWebSocket(t, node.port, '/ws'));
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < attempts) {
          const problem = await refusedClient(node.port, next++, 'websocket_session_limit');
          if (problem && wrong.length < 5) wrong.push(problem);
        }
      }),
    );
  });
  t.same(wrong, [], 'every upgrade got the exact 503 with its own id, and a clean close');
  const counted = await node.waitForStatus((s) => s.totals.rejected.websocket_session_limit === attempts && s.totals.sessions.http === 0);
  t.same(counted.totals.rejected, { http_session_limit: 0, websocket_session_limit: attempts }, '/status counted every refusal, by its reason');
  t.same(counted.totals.sessions, { http: 0, websocket: 2 }, 'each refused upgrade gave its HTTP permit back');
});
