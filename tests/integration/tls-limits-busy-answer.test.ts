import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { rawConnect, rawGet, statusOf } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { contractView, expectedResponse } from '../helpers/runtime-hardening.js';
import { closeAll, readToClose } from '../helpers/sessions.js';
import { httpsGet, openSecureWebSocket, tlsConnect } from '../helpers/tls-client.js';
import { pollUntil, sleep } from '../helpers/wait.js';

// The node-wide limits over TLS (docs/tls.md, "Over the session limit"): a connection is admitted
// before its handshake, and one over the limit still gets the exact 503, encrypted, after a short,
// bounded handshake.

const UPGRADE = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  t.test('an HTTPS session over the HTTP limit gets the exact 503 over TLS, its socket closes, and no app code runs', async (t) => {
    const node = await startPropane(t, { app: fixtureApp('counts-calls.cjs'), workers: 1, args: ['--max-http-sessions', '1'], config: { tls: tlsConfig(certs.server) } });
    const held = await tlsConnect(node.port, { ca });
    t.teardown(() => held.destroy());
    t.equal(statusOf(await rawGet(held, '/')), 200, 'one keep-alive HTTPS session holds the only permit');

    const busy = expectedResponse('http_session_limit_503');
    const sockets: TLSSocket[] = [];
    t.teardown(() => closeAll(sockets));
    for (let i = 0; i < 5; i++) {
      const s = await tlsConnect(node.port, { ca });
      sockets.push(s);
      s.write(`GET /refused-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const a = await readToClose(s);
      t.same(contractView(a, busy), busy, 'the exact 503 of the contract fixture');
      t.equal(a.headers['content-length'], '12');
      t.equal(a.headers['content-type'], 'text/plain; charset=utf-8');
      t.match(a.headers['x-request-id'], /^[0-9a-f]{32}$/);
      t.equal(a.closed, true, 'the server closed the TLS connection after the write');
    }
    held.destroy();
    const status = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === 5 && s.totals.sessions.http === 0);
    t.same(status.totals.rejected, { http_session_limit: 5, websocket_session_limit: 0 });
    const calls = await pollUntil(() => httpsGet(node.port, '/calls', { ca }), (r) => r.status === 200, 10_000);
    t.equal(calls.body, 'calls 2\n', 'the app ran for the held session and this one, never for the 5 refused');
  });

  t.test('a WSS upgrade over the WebSocket limit gets the 503 with its reason, over TLS', async (t) => {
    const node = await startPropane(t, { app: fixtureApp('counts-calls.cjs'), workers: 1, args: ['--max-websocket-sessions', '1'], config: { tls: tlsConfig(certs.server) } });
    const ws = await openSecureWebSocket(t, node.port, ca);
    await node.waitForStatus((s) => s.totals.sessions.websocket === 1 && s.totals.sessions.http === 0);
    const s = await tlsConnect(node.port, { ca });
    t.teardown(() => s.destroy());
    s.write(UPGRADE);
    const a = await readToClose(s);
    const busyWs = expectedResponse('websocket_session_limit_503');
    t.same(contractView(a, busyWs), busyWs, 'the exact 503 of the contract fixture');
    t.equal(a.closed, true);
    ws.close();
    const status = await node.waitForStatus((s) => s.totals.rejected.websocket_session_limit === 1 && s.totals.sessions.websocket === 0 && s.totals.sessions.http === 0);
    t.same(status.totals.rejected, { http_session_limit: 0, websocket_session_limit: 1 });
  });

  for (const c of [
    {
      name: 'refused handshakes are bounded: past 16 at once a refused client is closed without one, still counted; then 503s again',
      // Stalled refused clients: TCP connected, never a ClientHello. Ten-minute handshakes: only the refusal's own 2 s bound can cut them.
      open: (port: number): Promise<Socket> => rawConnect(port),
      timeouts: { handshakeSeconds: 600 },
      cut: 'the stalled ones are cut after the refusal handshake timeout, with no answer',
    },
    {
      name: 'refused TLS clients that complete the handshake and then send nothing hold the bound too, and are cut 2 s later',
      open: (port: number): Promise<Socket> => tlsConnect(port, { ca }),
      timeouts: { handshakeSeconds: 600, headerSeconds: 600 },
      cut: 'each is cut 2 s after its handshake, with no answer: it asked nothing',
    },
  ]) {
    t.test(c.name, async (t) => {
      const node = await startPropane(t, { workers: 1, args: ['--max-http-sessions', '1'], config: { tls: tlsConfig(certs.server), timeouts: c.timeouts } });
      const held = await tlsConnect(node.port, { ca });
      t.teardown(() => held.destroy());
      t.equal(statusOf(await rawGet(held, '/')), 200);

      const bound: Socket[] = [];
      t.teardown(() => closeAll(bound));
      for (let i = 0; i < 16; i++) bound.push(await c.open(node.port));
      await node.waitForStatus((s) => s.totals.rejected.http_session_limit === 16, 10_000);

      const past = await tlsConnect(node.port, { ca }).then(
        (s) => (s.destroy(), 'handshake completed'),
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      t.match(past, /^(ECONNRESET|closed during the handshake)$/, `a client past the bound sees its connection closed before the handshake (${past})`);

      const answers = await Promise.all(bound.map((s) => readToClose(s, 10_000)));
      t.same(answers.map((a) => [a.closed, a.status]), bound.map(() => [true, 0]), c.cut);

      const s = await tlsConnect(node.port, { ca });
      t.teardown(() => s.destroy());
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const a = await readToClose(s);
      t.equal(a.status, 503, 'with the bound free again, a refused client gets its 503 over TLS');
      t.equal(a.headers['x-arlen-backpressure-reason'], 'http_session_limit');
      const status = await node.waitForStatus((st) => st.totals.rejected.http_session_limit === 18, 10_000);
      t.equal(status.totals.rejected.http_session_limit, 18, 'all 18 refusals are counted, the one closed without a handshake too');
      held.destroy();
      await sleep(100);
      await node.waitForStatus((st) => st.totals.sessions.http === 0, 10_000);
    });
  }
}
