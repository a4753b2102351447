import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import t from 'tap';
import { makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { rawConnect, readUntil } from '../helpers/http.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { captureClientHello, httpsGet } from '../helpers/tls-client.js';
import { pollUntil, within } from '../helpers/wait.js';

// Bad input on the TLS port (docs/tls.md, "What a failure looks like"): plain HTTP, junk, a
// truncated ClientHello, a ClientHello then silence or a disconnect. Each connection is closed and
// counted by reason (silence as a handshake timeout), the worker keeps serving, every permit comes
// back, and /status and /metrics agree.

interface Probe {
  name: string;
  run: (s: Socket, hello: Buffer) => Promise<void> | void;
  /** Whether to wait for the server to close the connection (else the client destroys it). */
  serverCloses: boolean;
}

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  t.test('plain HTTP, junk, a truncated ClientHello, a ClientHello then silence or a disconnect: closed, counted, the node keeps serving', async (t) => {
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server), timeouts: { handshakeSeconds: 1 } } });
    const hello = await captureClientHello();
    t.equal(hello[0], 0x16, 'a captured ClientHello: a handshake record');

    const probes: Probe[] = [
      { name: 'plain HTTP bytes', serverCloses: true, run: (s) => void s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n') },
      { name: 'junk bytes', serverCloses: true, run: (s) => void s.write(randomBytes(512)) },
      { name: 'a ClientHello then silence', serverCloses: true, run: (s, h) => void s.write(h) },
      { name: 'a truncated ClientHello, then the client leaves', serverCloses: true, run: (s, h) => void s.end(h.subarray(0, 40)) },
      {
        name: 'a ClientHello, then the client disconnects mid-handshake',
        serverCloses: false,
        run: async (s, h) => {
          s.write(h);
          await readUntil(s, (text) => text.length > 0, 5_000); // the ServerHello
          s.destroy();
        },
      },
      { name: 'a connection with no byte at all (a TCP health check)', serverCloses: true, run: (s) => void s.end() },
    ];
    for (const p of probes) {
      const s = await rawConnect(node.port);
      t.teardown(() => s.destroy());
      s.on('error', () => {});
      let answer = '';
      s.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      const closed = new Promise<true>((r) => s.once('close', () => r(true)));
      await p.run(s, hello);
      if (p.serverCloses) t.equal(await within(closed, 10_000), true, `${p.name}: the server closes the connection`);
      else s.destroy();
      t.notMatch(answer, /^HTTP\//, `${p.name}: no HTTP answer comes back`);
    }

    const want = { protocol: 3, no_client_certificate: 0, bad_client_certificate: 0, other: 1 };
    const failures = (e: Awaited<ReturnType<typeof node.metrics>>): Record<string, number | undefined> => Object.fromEntries(Object.keys(want).map((reason) => [reason, valueOf(e, 'propane_tls_handshake_failures_total', { reason })]));
    const m = await pollUntil(() => node.metrics(), (e) => JSON.stringify(failures(e)) === JSON.stringify(want) && valueOf(e, 'propane_timeouts_total', { reason: 'handshake' }) === 1, 10_000);
    t.same(failures(m), want, 'plain HTTP, junk and the truncated hello are protocol failures; the disconnect mid-handshake is other; the health check is not counted');
    t.equal(valueOf(m, 'propane_timeouts_total', { reason: 'handshake' }), 1, 'the silent one is a handshake timeout, counted only there');
    t.ok(node.logs.some((l) => l.event === 'tls_handshake_failed' && l.reason === 'protocol'), 'failures are logged');
    t.ok(node.logs.some((l) => l.event === 'timeout' && l.reason === 'handshake'), 'the handshake timeout is logged');

    const served = await httpsGet(node.port, '/', { ca });
    t.equal(served.status, 200, 'the node keeps serving');
    const status = await node.waitForStatus((s) => s.totals.sessions.http === 0, 10_000);
    const metrics = await node.metrics();
    t.same(status.totals.sessions, { http: 0, websocket: 0 }, '/status: every permit came back');
    t.equal(valueOf(metrics, 'propane_sessions', { kind: 'http' }), 0, '/metrics agrees');
    t.same(status.workers.map((w) => [w.state, w.restarts]), [['ready', 0], ['ready', 0]], 'no worker was replaced');
    t.same(status.totals.rejected, { http_session_limit: 0, websocket_session_limit: 0 }, 'nothing was refused for the session limit');
  });
}
