import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fingerprintOf, makeCertificates, readPem, requireOpenssl, type CertFiles } from '../helpers/certificates.js';
import { runCli } from '../helpers/cli.js';
import { fixtureApp } from '../helpers/paths.js';
import { waitGone } from '../helpers/processes.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tempDir, tempSocketPath } from '../helpers/temp.js';
import { httpsGet, openSecureWebSocket } from '../helpers/tls-client.js';
import { pollUntil, within } from '../helpers/wait.js';

// Certificate rotation (docs/tls.md, "Rotating certificates"): a reload re-reads tls.*, new
// connections get the new certificate, connections on the old workers finish with the old one,
// and a reload whose files are broken is refused before any worker is touched; `propane config`
// and `propane start` exit 2 on the same files.

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  /** cert.pem and key.pem in a directory of their own, as certbot's live/ links are: a deploy hook replaces them. */
  const liveFiles = (t: { teardown(fn: () => unknown): void }, from: CertFiles): CertFiles & { install(f: CertFiles): void } => {
    const dir = tempDir(t);
    const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
    const install = (f: CertFiles): void => {
      copyFileSync(f.cert, files.cert);
      copyFileSync(f.key, files.key);
    };
    install(from);
    return { ...files, install };
  };

  t.test('a reload serves the renewed certificate to new connections; the old worker finishes its request over the old one with Connection: close, and closes WSS with 1012', async (t) => {
    const live = liveFiles(t, certs.server);
    const node = await startPropane(t, { workers: 1, env: WORKER_PID_HEADERS, config: { tls: { certFile: live.cert, keyFile: live.key }, propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 10 } } });
    const [old] = await node.readyWorkerPids();
    const oldPrint = fingerprintOf(certs.server.cert);
    const newPrint = fingerprintOf(certs.renewed.cert);
    t.equal((await httpsGet(node.port, '/', { ca })).fingerprint, oldPrint);

    const ws = await openSecureWebSocket(t, node.port, ca);
    const wsClosed = new Promise<[number, string]>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    const inflight = httpsGet(node.port, '/slow?ms=2500', { ca, timeoutMs: 20_000 });
    await node.waitForStatus((s) => s.totals.sessions.http === 1 && s.totals.sessions.websocket === 1, 10_000);

    live.install(certs.renewed);
    const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
    t.equal(reload.code, 0, reload.stderr);
    t.equal(JSON.parse(reload.stdout).outcome, 'completed');

    const res = await inflight;
    t.equal(res.status, 200, 'the request in flight is answered');
    t.equal(res.body, 'slept 2500 ms\n');
    t.equal(res.headers.connection, 'close', 'with Connection: close');
    t.equal(res.headers['x-arlen-worker-pid'], String(old), 'by the old worker');
    t.equal(res.fingerprint, oldPrint, 'over the certificate it began with');
    t.same(await within(wsClosed, 10_000), [1012, 'service restart'], 'the WSS session of the old worker closes with 1012');
    t.same(await waitGone([old!], 10_000), [], 'the old worker is gone');

    const after = await httpsGet(node.port, '/', { ca });
    t.equal(after.fingerprint, newPrint, 'a connection made after the reload sees the new certificate');
    t.not(after.headers['x-arlen-worker-pid'], String(old));
    const status = await node.status();
    t.equal(status.tls.certificates[0]?.fingerprint_sha256, newPrint, '/status shows the new certificate');
    const m = await node.metrics();
    t.equal(valueOf(m, 'propane_tls_certificate_expiry_seconds', { server_name: 'default' }), Math.floor(Date.parse(status.tls.certificates[0]!.not_after) / 1000), 'and /metrics its expiry');
    t.equal(status.reload.last?.outcome, 'completed');
  });

  t.test('a shutdown drains over TLS: the request in flight gets Connection: close, WSS closes with 1001', async (t) => {
    const node = await startPropane(t, { workers: 1, config: { tls: { certFile: certs.server.cert, keyFile: certs.server.key }, propane: { gracefulShutdownSeconds: 10 } } });
    const ws = await openSecureWebSocket(t, node.port, ca);
    const wsClosed = new Promise<[number, string]>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    const inflight = httpsGet(node.port, '/slow?ms=1500', { ca, timeoutMs: 20_000 });
    await node.waitForStatus((s) => s.totals.sessions.http === 1 && s.totals.sessions.websocket === 1, 10_000);
    node.proc.kill('SIGTERM');
    const res = await inflight;
    t.equal(res.status, 200);
    t.equal(res.body, 'slept 1500 ms\n');
    t.equal(res.headers.connection, 'close');
    t.same(await within(wsClosed, 15_000), [1001, 'going away']);
    t.same(await within(node.exited, 20_000), { code: 0, signal: null }, 'the node stops cleanly');
  });

  t.test('broken certificate files: a reload is refused before any worker is touched, naming file, problem and fix; propane config and propane start exit 2', async (t) => {
    const live = liveFiles(t, certs.server);
    const dir = tempDir(t);
    const configFile = join(dir, 'propane.json');
    writeFileSync(configFile, JSON.stringify({ tls: { certFile: live.cert, keyFile: live.key }, propane: { reloadOverlapSeconds: 0 } }));
    const node = await startPropane(t, { workers: 2, args: ['--config', configFile] });
    const pids = await node.readyWorkerPids();
    const served = fingerprintOf(certs.server.cert);

    const cases: Array<{ name: string; breakIt: () => void; code: string; file: string; problem: RegExp }> = [
      { name: 'a key that does not match the certificate', breakIt: () => copyFileSync(certs.alpha.key, live.key), code: 'PROPANE_ERR_TLS_KEY', file: live.key, problem: /does not match tls\.certFile/ },
      { name: 'an unreadable certificate (gone)', breakIt: () => rmSync(live.cert), code: 'PROPANE_ERR_TLS_FILE', file: live.cert, problem: /cannot be read \(ENOENT\)/ },
      { name: 'an unreadable key (a directory)', breakIt: () => (rmSync(live.key), mkdirSync(live.key)), code: 'PROPANE_ERR_TLS_FILE', file: live.key, problem: /cannot be read \(EISDIR\)/ },
      { name: 'an expired certificate', breakIt: () => live.install(certs.expired), code: 'PROPANE_ERR_TLS_CERT', file: live.cert, problem: /expired at 2021-01-01T00:00:00\.000Z/ },
      { name: 'PEM garbage', breakIt: () => copyFileSync(certs.garbage, live.cert), code: 'PROPANE_ERR_TLS_CERT', file: live.cert, problem: /holds no PEM certificate/ },
      { name: 'a passphrase-protected key', breakIt: () => copyFileSync(certs.passphraseKey, live.key), code: 'PROPANE_ERR_TLS_KEY', file: live.key, problem: /is protected by a passphrase/ },
    ];
    let refusals = 0;
    for (const c of cases) {
      rmSync(live.key, { recursive: true, force: true });
      live.install(certs.server);
      c.breakIt();
      const from = node.logs.length;
      const reload = await runCli(['reload', '--status-socket', node.socket]);
      refusals++;
      t.equal(reload.code, 1, `${c.name}: propane reload exits 1`);
      t.match(reload.stderr, c.code, 'and names the code');
      t.ok(reload.stderr.includes(c.file), `the file (${reload.stderr.trim()})`);
      t.match(reload.stderr, c.problem, 'the problem');
      t.match(reload.stderr, /Fix: /, 'and the fix');
      t.equal(node.logs.slice(from).filter((l) => l.event === 'reload_started').length, 0, 'no reload started');

      const config = await runCli(['config', '--config', configFile]);
      t.equal(config.code, 2, `propane config exits 2: ${config.stderr.trim()}`);
      t.match(config.stderr, new RegExp(`^propane: ${c.code} `, 'm'));
      t.ok(config.stderr.includes(c.file));
      const start = await runCli(['start', '--config', configFile, '--port', '0', '--status-socket', tempSocketPath()], { timeoutMs: 20_000 });
      t.equal(start.code, 2, `propane start exits 2: ${start.stderr.trim()}`);
      t.match(start.stderr, new RegExp(`^propane: ${c.code} `, 'm'));
    }

    const status = await node.status();
    t.same(status.workers.map((w) => [w.pid, w.state]), pids.map((pid) => [pid, 'ready']), 'the same workers serve');
    t.equal(status.reload.last?.outcome, 'refused');
    t.equal(status.tls.certificates[0]?.fingerprint_sha256, served, '/status still shows the certificate in force');
    const m = await pollUntil(() => node.metrics(), () => true, 1_000);
    t.equal(valueOf(m, 'propane_reloads_total', { outcome: 'refused' }), refusals);
    t.equal(valueOf(m, 'propane_reloads_total', { outcome: 'completed' }), 0);
    for (let i = 0; i < 4; i++) t.equal((await httpsGet(node.port, '/', { ca })).fingerprint, served, 'the node serves with what it had');

    // SIGHUP is the same reload: refused on broken files, with the reason logged.
    const fromHup = node.logs.length;
    process.kill(node.pid, 'SIGHUP');
    const refused = await node.waitForEvent('reload_refused', 10_000, fromHup);
    t.match(String(refused.reason), /PROPANE_ERR_TLS_KEY/, 'SIGHUP with a passphrase-protected key: refused, the code logged');
    t.ok(String(refused.reason).includes(live.key), 'naming the file');

    rmSync(live.key, { recursive: true, force: true });
    live.install(certs.renewed);
    const fromFixed = node.logs.length;
    process.kill(node.pid, 'SIGHUP');
    await node.waitForEvent('reload_completed', 30_000, fromFixed);
    t.equal((await httpsGet(node.port, '/', { ca })).fingerprint, fingerprintOf(certs.renewed.cert), 'fixed, a SIGHUP reload puts the new certificate in service');
  });

  t.test('a reload whose new worker fails to boot is aborted: the old worker keeps serving the old certificate, and /status shows it', async (t) => {
    const live = liveFiles(t, certs.server);
    const modeFile = join(tempDir(t), 'boot-mode');
    writeFileSync(modeFile, 'ok');
    const node = await startPropane(t, {
      app: fixtureApp('crashes-at-boot-on-demand.cjs'),
      workers: 1,
      env: { BOOT_MODE_FILE: modeFile },
      config: { tls: { certFile: live.cert, keyFile: live.key }, propane: { reloadOverlapSeconds: 0, respawnDelayMs: 100 } },
    });
    const [old] = await node.readyWorkerPids();
    live.install(certs.renewed);
    writeFileSync(modeFile, 'crash');
    const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
    t.equal(reload.code, 1, 'propane reload exits 1');
    t.equal(JSON.parse(reload.stdout).outcome, 'aborted');
    writeFileSync(modeFile, 'ok');
    const res = await httpsGet(node.port, '/', { ca });
    t.equal(res.body, `boot-mode ok worker ${old}\n`, 'the old worker serves');
    t.equal(res.fingerprint, fingerprintOf(certs.server.cert), 'with the certificate it had');
    t.equal((await node.status()).tls.certificates[0]?.fingerprint_sha256, fingerprintOf(certs.server.cert), '/status shows the certificate in force, not the aborted one');
  });
}
