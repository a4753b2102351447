import t from 'tap';
import { makeCertificates, fingerprintOf, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { runCli } from '../helpers/cli.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { httpsGet, tlsConnect } from '../helpers/tls-client.js';
import { pollUntil } from '../helpers/wait.js';

// HTTPS on the listening port (docs/tls.md): the app, the built-in endpoints and every header
// propane adds arrive over TLS exactly as over plain HTTP; /status, /metrics and `propane status`
// show the certificate.

const CLUSTER_HEADERS = ['x-arlen-cluster', 'x-arlen-node', 'x-arlen-worker-pid', 'x-arlen-cluster-status', 'x-arlen-cluster-observed-nodes', 'x-arlen-cluster-expected-nodes'];

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  t.test('HTTPS serves the app and the built-in endpoints with the cluster and identity headers, on HTTP/1.1 by ALPN', async (t) => {
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server), cluster: { enabled: true, name: 'green', nodeId: 'node-7', expectedNodes: 3, observedNodes: 2 }, observability: { readinessRequiresClusterQuorum: true } } });
    const pids = (await node.readyWorkerPids()).map(String);
    const listening = node.logs.find((l) => l.event === 'listening');
    t.equal(listening?.url, `https://127.0.0.1:${node.port}`, 'the listening line says https');

    const home = await httpsGet(node.port, '/', { ca });
    t.equal(home.status, 200);
    t.equal(home.alpn, 'http/1.1');
    t.equal(home.fingerprint, fingerprintOf(certs.server.cert), 'the configured certificate is served');
    t.match(home.headers['x-request-id'], /^[0-9a-f]{32}$/);
    t.equal(home.headers['x-correlation-id'], home.headers['x-request-id']);
    t.match(home.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);

    for (const [path, status, body] of [['/healthz', 200, 'ok\n'], ['/livez', 200, 'live\n'], ['/readyz', 503, 'not_ready\n']] as const) {
      const res = await httpsGet(node.port, path, { ca });
      t.equal(res.status, status, `GET ${path}`);
      t.equal(res.body, body);
    }
    const ready = await httpsGet(node.port, '/readyz?format=json', { ca });
    t.match(JSON.parse(ready.body), { status: 'not_ready', ready: false, checks: { cluster_quorum: { ok: false, observed_nodes: 2, expected_nodes: 3 } } });
    const clusterz = await httpsGet(node.port, '/clusterz', { ca });
    t.match(JSON.parse(clusterz.body), { cluster: { observed_nodes: 2, quorum: { status: 'degraded', met: false } } });

    for (const path of ['/', '/nope', '/healthz', '/readyz', '/clusterz']) {
      const res = await httpsGet(node.port, path, { ca });
      const h = res.headers;
      t.same(CLUSTER_HEADERS.filter((n) => h[n] === undefined), [], `GET ${path}: all six cluster headers`);
      t.match(h, { 'x-arlen-cluster': 'green', 'x-arlen-node': 'node-7', 'x-arlen-cluster-status': 'degraded', 'x-arlen-cluster-observed-nodes': '2', 'x-arlen-cluster-expected-nodes': '3' });
      t.ok(pids.includes(String(h['x-arlen-worker-pid'])), 'answered by one of the workers');
    }

  });

  t.test('/status, /metrics and propane status show the certificate; a client below tls.minVersion is refused and counted', async (t) => {
    const node = await startPropane(t, { workers: 1, config: { tls: tlsConfig(certs.server, { minVersion: 'TLSv1.3' }) } });
    const status = await node.status();
    const info = status.tls.certificates[0]!;
    t.same(status.tls, {
      enabled: true,
      certificates: [{ server_name: null, subject: 'CN=localhost, O=Propane', sans: ['DNS:localhost', 'IP Address:127.0.0.1'], not_after: info.not_after, fingerprint_sha256: fingerprintOf(certs.server.cert) }],
    });
    const notAfter = Date.parse(info.not_after);
    t.ok(notAfter > Date.now() + 29 * 86_400_000 && notAfter < Date.now() + 31 * 86_400_000, `not_after ${info.not_after} is the certificate's (30 days)`);
    t.equal(valueOf(await node.metrics(), 'propane_tls_certificate_expiry_seconds', { server_name: 'default' }), Math.floor(notAfter / 1000), 'the expiry gauge is notAfter in Unix seconds');
    const table = await runCli(['status', '--status-socket', node.socket]);
    t.match(table.stdout, new RegExp(`^tls       default CN=localhost, O=Propane until ${info.not_after.replaceAll('.', '\\.')}$`, 'm'));

    await t.rejects(tlsConnect(node.port, { ca, maxVersion: 'TLSv1.2' }), 'a TLS 1.2 client cannot connect under minVersion TLSv1.3');
    const m = await pollUntil(() => node.metrics(), (e) => valueOf(e, 'propane_tls_handshake_failures_total', { reason: 'protocol' }) === 1, 10_000);
    t.equal(valueOf(m, 'propane_tls_handshake_failures_total', { reason: 'protocol' }), 1, 'counted as a protocol failure');
    t.equal((await httpsGet(node.port, '/healthz', { ca })).body, 'ok\n', 'a TLS 1.3 client is served');
  });

  t.test('without tls.* the node serves plain HTTP and /status says TLS is off', async (t) => {
    const node = await startPropane(t, { workers: 1 });
    t.same((await node.status()).tls, { enabled: false, certificates: [] });
    const m = await node.metrics();
    t.equal(m.samples.filter((s) => s.name === 'propane_tls_certificate_expiry_seconds').length, 0, 'no certificate, no expiry sample');
  });
}
