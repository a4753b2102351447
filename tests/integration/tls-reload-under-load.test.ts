import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fingerprintOf, makeCertificates, readPem, requireOpenssl } from '../helpers/certificates.js';
import { runCli } from '../helpers/cli.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad, type LoadOptions } from '../helpers/load.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { httpsGet } from '../helpers/tls-client.js';

// Certificate rotation under sustained HTTPS load (docs/tls.md, "Rotating certificates"): the
// certificate files are replaced and `propane reload` run while clients keep sending requests;
// no request fails, and the clients see the old certificate before and the new one after.

const WORKERS = 2;
const LOADS: Array<{ name: string; opts: LoadOptions; minOk: number }> = [
  { name: 'keep-alive', opts: { shape: 'keepalive', concurrency: 8 }, minOk: 300 },
  { name: 'bursty keep-alive with idle pooled sockets', opts: { shape: 'keepalive', concurrency: 16, pauseMs: 200 }, minOk: 100 },
  { name: 'one connection (a full handshake) per request', opts: { shape: 'per-request', concurrency: 8 }, minOk: 300 },
];

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);
  const oldPrint = fingerprintOf(certs.server.cert);
  const newPrint = fingerprintOf(certs.renewed.cert);

  for (const { name, opts, minOk } of LOADS) {
    t.test(`a certificate rotation by reload under ${name} HTTPS load fails no request`, async (t) => {
      const dir = tempDir(t);
      const live = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
      copyFileSync(certs.server.cert, live.cert);
      copyFileSync(certs.server.key, live.key);
      const node = await startPropane(t, {
        workers: WORKERS,
        env: WORKER_PID_HEADERS,
        config: { tls: { certFile: live.cert, keyFile: live.key }, propane: { reloadOverlapSeconds: 0.2, gracefulShutdownSeconds: 5 } },
      });
      const before = await node.readyWorkerPids();

      const { reload, result } = await withLoadLock(async () => {
        const load = startLoad(node.port, { ...opts, ca });
        t.teardown(() => load.stop());
        await load.waitForOk(minOk / 2);
        copyFileSync(certs.renewed.cert, live.cert);
        copyFileSync(certs.renewed.key, live.key);
        const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
        await load.waitForOk(minOk / 2);
        return { reload, result: await load.stop() };
      });
      t.comment(`${result.total} requests: ${JSON.stringify(result.statuses)}, errors ${JSON.stringify(result.errors)}`);
      t.equal(reload.code, 0, `propane reload exits 0: ${reload.stderr}`);
      t.equal(JSON.parse(reload.stdout).outcome, 'completed');

      t.equal(failures(result), 0, `no failed request: ${describeLoad(result)}`);
      t.ok(result.ok >= minOk, `${result.ok} requests answered 2xx`);
      t.same([...result.fingerprints].sort(), [oldPrint, newPrint].sort(), 'the load saw the old certificate, then the new one');
      t.same(await waitGone(before, 10_000), [], 'the old workers are gone');
      t.ok(after(result.pids, before), 'the new workers served load');
      t.equal((await httpsGet(node.port, '/', { ca })).fingerprint, newPrint, 'a new connection gets the new certificate');
    });
  }
}

function after(served: Set<number>, before: number[]): boolean {
  return [...served].some((pid) => !before.includes(pid));
}
