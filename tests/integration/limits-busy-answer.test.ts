import type { Socket } from 'node:net';
import t from 'tap';
import { httpGet, rawConnect } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { closeAll, openSession, readToClose } from '../helpers/sessions.js';

t.test('a session over the HTTP limit gets the exact 503, its socket closes, and no app code runs', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('counts-calls.cjs'), workers: 1, args: ['--max-http-sessions', '1'] });
  const held = await openSession(node.port);
  t.teardown(() => held.socket.destroy());
  t.equal(held.status, 200);

  const answers = [];
  const sockets: Socket[] = [];
  t.teardown(() => closeAll(sockets));
  for (let i = 0; i < 5; i++) {
    const s = await rawConnect(node.port);
    sockets.push(s);
    s.write(`GET /refused-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    answers.push(await readToClose(s));
  }
  for (const a of answers) {
    t.equal(a.status, 503);
    t.equal(a.body, 'server busy\n');
    t.equal(a.headers['retry-after'], '1');
    t.equal(a.headers['connection'], 'close');
    t.equal(a.headers['x-arlen-backpressure-reason'], 'http_session_limit');
    t.equal(a.headers['content-length'], '12');
    t.equal(a.closed, true, 'the server closed the socket after the write');
  }

  held.socket.destroy();
  const status = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === 5 && s.totals.sessions.http === 0);
  t.same(status.totals.rejected, { http_session_limit: 5, websocket_session_limit: 0 });
  const calls = await httpGet(node.port, '/calls');
  t.equal(calls.body, 'calls 2\n', 'the app ran for the held session and this one, never for the 5 refused');
});

t.test('a refused client that never sends a request is closed, with no answer, soon after the header timeout', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--max-http-sessions', '1'], config: { timeouts: { headerSeconds: 1 } } });
  const held = await openSession(node.port);
  t.teardown(() => held.socket.destroy());
  const silent = await rawConnect(node.port);
  t.teardown(() => silent.destroy());
  const answer = await readToClose(silent, 10_000);
  t.equal(answer.closed, true, 'closed within 10 s (header timeout 1 s plus the linger)');
  t.equal(answer.status, 0, 'no bytes to a client that asked nothing');
});
