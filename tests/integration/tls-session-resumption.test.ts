import { readFileSync } from 'node:fs';
import t from 'tap';
import { makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { httpsGet, type HttpsReply, type TlsClientOptions } from '../helpers/tls-client.js';

// Session resumption across workers (docs/tls.md, "Session resumption"): every worker holds the
// session-ticket keys the supervisor made, so a ticket one worker issued resumes on another. The
// keys travel over IPC only: not in a worker's environment, not in any log line.

const RESUMPTIONS = 20;
/** Connections an issue or a resumption may take to land on the worker wanted (round_robin alternates; reuse_port hashes the client port). */
const ATTEMPTS = 40;

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  const CASES = [
    { version: 'TLSv1.3', policy: 'round_robin', skip: false },
    { version: 'TLSv1.2', policy: 'round_robin', skip: false },
    // Each worker accepts on its own SO_REUSEPORT socket: the kernel, not the supervisor, picks the worker.
    { version: 'TLSv1.3', policy: 'reuse_port', skip: REUSE_PORT_SKIP },
  ] as const;
  for (const { version, policy, skip } of CASES) {
    t.test(`${RESUMPTIONS} ${version} sessions issued by one worker resume on another (scheduling ${policy})`, { skip }, async (t) => {
      const node = await startPropane(t, { workers: 2, args: ['--scheduling-policy', policy], env: WORKER_PID_HEADERS, config: { tls: tlsConfig(certs.server) } });
      const pids = (await node.readyWorkerPids()).map(String);
      t.equal(pids.length, 2);
      const client: TlsClientOptions = { ca, maxVersion: version, minVersion: version };
      const pidOf = (r: HttpsReply): string => String(r.headers['x-arlen-worker-pid']);

      const resumed: Array<{ issuer: string; resumer: string; reused: boolean }> = [];
      for (let i = 0; i < RESUMPTIONS; i++) {
        // Each worker in turn issues the ticket, and the resumption is retried until another worker takes it.
        let issued = await httpsGet(node.port, '/', client);
        for (let n = 1; n < ATTEMPTS && pidOf(issued) !== pids[i % 2]; n++) issued = await httpsGet(node.port, '/', client);
        t.equal(issued.reused, false, 'a first connection is a full handshake');
        if (issued.session === undefined) throw new Error('the server sent no session ticket');
        let r = await httpsGet(node.port, '/', { ...client, session: issued.session });
        for (let n = 1; n < ATTEMPTS && pidOf(r) === pidOf(issued); n++) r = await httpsGet(node.port, '/', { ...client, session: issued.session });
        resumed.push({ issuer: pidOf(issued), resumer: pidOf(r), reused: r.reused });
      }
      t.same(resumed.filter((r) => !r.reused), [], `every one of the ${RESUMPTIONS} resumed (isSessionReused)`);
      t.same(resumed.filter((r) => r.issuer === r.resumer), [], 'each on another worker than the one that issued its ticket');
      t.same([...new Set(resumed.map((r) => r.resumer))].sort(), [...pids].sort(), 'each worker resumed tickets the other issued');
    });
  }

  t.test('the ticket keys and the private key are in no worker environment and no log line', async (t) => {
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server) } });
    t.equal((await httpsGet(node.port, '/', { ca })).status, 200);
    for (const pid of await node.readyWorkerPids()) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      t.notMatch(environ, /ticket/i, `worker ${pid}: no ticket keys in its environment`);
      t.notMatch(environ, /PRIVATE KEY/, `worker ${pid}: no private key in its environment`);
    }
    await node.stop();
    const text = node.logs.map((l) => JSON.stringify(l)).join('\n') + node.stderr + node.nonJson.join('\n');
    t.notMatch(text, /ticket_keys|"keys"/, 'no log line carries ticket keys');
    t.notMatch(text, /PRIVATE KEY/, 'nor the private key');
    t.ok(node.logs.length > 10, `${node.logs.length} log lines checked`);
  });
}
