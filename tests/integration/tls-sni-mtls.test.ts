import t from 'tap';
import { fingerprintOf, makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { httpsGet, tlsConnect } from '../helpers/tls-client.js';
import { pollUntil } from '../helpers/wait.js';

// tls.sni, mutual TLS and tls.minVersion (docs/tls.md): a certificate per server name, client
// certificates checked against tls.caFile, old protocol versions refused; every refused handshake
// counted by reason while the node keeps serving.

const NO_FAILURES = { protocol: 0, no_client_certificate: 0, bad_client_certificate: 0, other: 0 };

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);
  const sni = {
    'alpha.test': { certFile: certs.alpha.cert, keyFile: certs.alpha.key },
    '*.alpha.test': { certFile: certs.alpha.cert, keyFile: certs.alpha.key },
    'Beta.Test': { certFile: certs.beta.cert, keyFile: certs.beta.key },
  };

  t.test('tls.sni serves each server name its certificate, and the default one to every other client; /status and /metrics list them all', async (t) => {
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server, { sni }) } });
    const print = { server: fingerprintOf(certs.server.cert), alpha: fingerprintOf(certs.alpha.cert), beta: fingerprintOf(certs.beta.cert) };
    for (const [servername, want] of [
      ['alpha.test', print.alpha],
      ['www.alpha.test', print.alpha],
      ['BETA.test', print.beta],
      ['gamma.test', print.server],
      [undefined, print.server],
    ] as const) {
      const res = await httpsGet(node.port, '/healthz', { ca, anyName: true, ...(servername === undefined ? {} : { servername }) });
      t.equal(res.fingerprint, want, `${servername ?? 'no server name'}: the expected certificate`);
      t.equal(res.body, 'ok\n');
    }
    t.equal((await httpsGet(node.port, '/', { ca, servername: 'www.alpha.test' })).status, 200, 'a client checking the name accepts the wildcard certificate');

    const status = await node.status();
    t.same(status.tls.certificates.map((c) => [c.server_name, c.subject, c.fingerprint_sha256]), [
      [null, 'CN=localhost, O=Propane', print.server],
      ['alpha.test', 'CN=alpha.test, O=Propane', print.alpha],
      ['*.alpha.test', 'CN=alpha.test, O=Propane', print.alpha],
      ['beta.test', 'CN=beta.test, O=Propane', print.beta],
    ]);
    t.same(status.tls.certificates[1]?.sans, ['DNS:alpha.test', 'DNS:*.alpha.test']);
    const m = await node.metrics();
    for (const c of status.tls.certificates) {
      t.equal(valueOf(m, 'propane_tls_certificate_expiry_seconds', { server_name: c.server_name ?? 'default' }), Math.floor(Date.parse(c.not_after) / 1000), `expiry of ${c.server_name ?? 'default'}`);
    }
  });

  t.test('mutual TLS: a client certificate signed by tls.caFile is served; none, or one from another CA, is refused and counted by reason', async (t) => {
    const node = await startPropane(t, { workers: 1, config: { tls: tlsConfig(certs.server, { requestClientCert: true, caFile: certs.ca, sni }) } });
    const client = { cert: readPem(certs.client.cert), key: readPem(certs.client.key) };
    const rogue = { cert: readPem(certs.rogueClient.cert), key: readPem(certs.rogueClient.key) };

    t.equal((await httpsGet(node.port, '/', { ca, ...client })).status, 200, 'a client certificate of the CA: served');
    t.equal((await httpsGet(node.port, '/', { ca, ...client, servername: 'alpha.test' })).status, 200, 'also under an SNI certificate (each SNI context checks with the same CA)');
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      await t.rejects(httpsGet(node.port, '/', { ca, maxVersion: version }), `${version}, no client certificate: refused`);
      await t.rejects(httpsGet(node.port, '/', { ca, maxVersion: version, ...rogue }), `${version}, a client certificate of another CA: refused`);
    }
    await t.rejects(httpsGet(node.port, '/', { ca, ...rogue, servername: 'alpha.test' }), 'also under an SNI certificate');

    const want = { ...NO_FAILURES, no_client_certificate: 2, bad_client_certificate: 3 };
    const failures = (e: Awaited<ReturnType<typeof node.metrics>>): Record<string, number | undefined> => Object.fromEntries(Object.keys(NO_FAILURES).map((reason) => [reason, valueOf(e, 'propane_tls_handshake_failures_total', { reason })]));
    const m = await pollUntil(() => node.metrics(), (e) => JSON.stringify(failures(e)) === JSON.stringify(want), 10_000);
    t.same(failures(m), want, 'propane_tls_handshake_failures_total counts each refusal by reason');
    t.equal((await httpsGet(node.port, '/healthz', { ca, ...client })).body, 'ok\n', 'the node keeps serving');
    const s = await node.waitForStatus((st) => st.totals.sessions.http === 0, 10_000);
    t.equal(s.totals.sessions.http, 0, 'every refused handshake released its permit');
  });

  t.test('tls.minVersion defaults to TLSv1.2: a TLS 1.1 client is refused and counted as protocol', async (t) => {
    const node = await startPropane(t, { workers: 1, config: { tls: tlsConfig(certs.server) } });
    await t.rejects(tlsConnect(node.port, { ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }), 'a TLS 1.1 handshake fails');
    const m = await pollUntil(() => node.metrics(), (e) => valueOf(e, 'propane_tls_handshake_failures_total', { reason: 'protocol' }) === 1, 10_000);
    t.equal(valueOf(m, 'propane_tls_handshake_failures_total', { reason: 'protocol' }), 1);
    const ok = await tlsConnect(node.port, { ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    t.equal(ok.getProtocol(), 'TLSv1.2', 'a TLS 1.2 client is served');
    ok.destroy();
  });
}
