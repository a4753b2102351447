import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import t, { type Test } from 'tap';
import { IPC_SCHEMA_VERSION } from '../../../contracts/ipc-constants.js';
import { attachConn, connOf, type Conn } from '../../../worker/connection.js';
import { WorkerCounters } from '../../../worker/stats.js';
import type { TlsMaterialMessage } from '../../../worker/tls-context.js';
import { MAX_REFUSED_TLS_CONNECTIONS, parentOf, REFUSAL_HANDSHAKE_MS, TlsTermination } from '../../../worker/tls-termination.js';
import { makeCertificates, readPem, requireOpenssl } from '../../helpers/certificates.js';
import { logSink } from '../../helpers/log-sink.js';
import { tlsConnect } from '../../helpers/tls-client.js';
import { pollUntil, sleep, within } from '../../helpers/wait.js';

// TlsTermination on real sockets, in this process: a pauseOnConnect listener hands each accepted
// socket to it, as worker/server.ts does once the connection is admitted.

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);
  const material: TlsMaterialMessage = {
    type: 'tls_material',
    schema_version: IPC_SCHEMA_VERSION,
    default: { cert: readPem(certs.server.cert), key: readPem(certs.server.key) },
    sni: [],
    ca: null,
    ticket_keys: { generation: 1, keys: Buffer.alloc(48, 1).toString('base64') },
  };

  /** A listener whose accepted sockets go to a TlsTermination, admitted or refused as `refuse` says. */
  async function setup(t: Test, handshakeMs = 5_000, refuse = false) {
    const counters = new WorkerCounters();
    t.teardown(() => counters.close());
    const { log, lines } = logSink();
    let timeouts = 0;
    const tls = new TlsTermination({ minVersion: 'TLSv1.2', requestClientCert: false, handshakeMs }, { counters, log, countTimeout: () => void timeouts++ });
    await tls.receive(() => tls.onMaterial(material));
    const served: Array<{ conn: Conn; secure: Socket }> = [];
    const accepted: Conn[] = [];
    const refusedOverBound: Conn[] = [];
    const listener: Server = createServer({ pauseOnConnect: true }, (raw) => {
      raw.on('error', () => {});
      const conn = attachConn(raw, performance.now());
      accepted.push(conn);
      const serve = (secure: Socket): void => {
        served.push({ conn, secure });
        secure.end('hello\n');
      };
      if (!refuse) tls.handshake(conn, serve);
      else if (!tls.handshakeRefused(conn, serve)) {
        refusedOverBound.push(conn);
        raw.destroy();
      }
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    t.teardown(() => {
      for (const c of accepted) c.raw.destroy();
      listener.close();
    });
    const port = (listener.address() as { port: number }).port;
    return { tls, counters, lines, port, served, accepted, refusedOverBound, timeouts: () => timeouts };
  }

  const rawClient = (port: number): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
      t.teardown(() => s.destroy());
    });

  t.test('TLSSocket#_parent is the accepted socket, the one link from a handshake back to its connection', async (t) => {
    const s = await setup(t);
    const client = await tlsConnect(s.port, { ca });
    t.teardown(() => client.destroy());
    await pollUntil(async () => s.served.length, (n) => n === 1, 5_000, 10);
    const { conn, secure } = s.served[0]!;
    t.ok(secure instanceof TLSSocket, 'HTTP gets the TLSSocket');
    t.equal(parentOf(secure as TLSSocket), conn.raw, 'its _parent is the raw socket admission saw (Node private API: this test pins it)');
    t.equal(conn.socket, secure, 'the connection reads and writes the TLSSocket from now on');
    t.equal(connOf(secure), conn, 'and finds its connection from it, as request handlers do');
    t.equal(conn.handshaking, false);
    t.equal(conn.bytesReadAtIdle, 0, 'idle marks restart at the plaintext counters');
  });

  t.test('a client that connects and leaves without a byte is not a failed handshake', async (t) => {
    const s = await setup(t);
    const probe = await rawClient(s.port);
    await pollUntil(async () => s.accepted.length, (n) => n === 1, 5_000, 10);
    probe.end();
    await pollUntil(async () => s.accepted[0]!.raw.destroyed, Boolean, 5_000, 10);
    await sleep(50);
    t.same(s.counters.tlsHandshakeFailures, { protocol: 0, no_client_certificate: 0, bad_client_certificate: 0, other: 0 });
    t.equal(s.timeouts(), 0);
  });

  t.test('plain HTTP is a protocol failure: closed, counted, logged', async (t) => {
    const s = await setup(t);
    const client = await rawClient(s.port);
    const closed = new Promise((r) => client.once('close', r));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    await pollUntil(async () => s.counters.tlsHandshakeFailures.protocol, (n) => n === 1, 5_000, 10);
    t.equal(s.counters.tlsHandshakeFailures.protocol, 1);
    t.match(s.lines, [{ event: 'tls_handshake_failed', reason: 'protocol', code: 'ERR_SSL_HTTP_REQUEST', failures_total: 1 }]);
  });

  t.test('a handshake not done within handshakeMs is cut and counted only as a timeout', async (t) => {
    const s = await setup(t, 300);
    const client = await rawClient(s.port);
    const closed = new Promise((r) => client.once('close', r));
    client.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, then silence
    await closed;
    t.equal(s.timeouts(), 1);
    t.same(s.counters.tlsHandshakeFailures, { protocol: 0, no_client_certificate: 0, bad_client_certificate: 0, other: 0 });
  });

  t.test(`refused connections handshake at most ${MAX_REFUSED_TLS_CONNECTIONS} at a time; past that they are closed without one`, async (t) => {
    const s = await setup(t, 5_000, true);
    // Stalled clients: connected, silent, each holding a refusal handshake.
    for (let i = 0; i < MAX_REFUSED_TLS_CONNECTIONS + 3; i++) await rawClient(s.port);
    await pollUntil(async () => s.accepted.length, (n) => n === MAX_REFUSED_TLS_CONNECTIONS + 3, 5_000, 10);
    t.equal(s.refusedOverBound.length, 3, 'three over the bound were closed at once');
    for (const c of s.accepted.slice(0, MAX_REFUSED_TLS_CONNECTIONS)) c.raw.destroy();
    await sleep(50);
    const client = await tlsConnect(s.port, { ca });
    t.teardown(() => client.destroy());
    await pollUntil(async () => s.served.length, (n) => n === 1, 5_000, 10);
    t.equal(s.served.length, 1, 'closing them frees the bound: the next refused client completes its handshake');
    t.same(s.counters.tlsHandshakeFailures, { protocol: 0, no_client_certificate: 0, bad_client_certificate: 0, other: 0 }, 'refused handshakes are not counted as failures');
  });

  t.test(`a refused handshake may take ${REFUSAL_HANDSHAKE_MS} ms, or handshakeMs if shorter (the timeout sweep cuts it: tls-limits-busy-answer)`, async (t) => {
    t.equal((await setup(t, 600_000, true)).tls.refusalHandshakeMs, REFUSAL_HANDSHAKE_MS);
    t.equal((await setup(t, 500, true)).tls.refusalHandshakeMs, 500);
  });

  t.test('ticket keys: a newer generation replaces the keys, and tickets of the old ones no longer resume; an older generation is ignored', async (t) => {
    const s = await setup(t);
    const keys = (n: number) => ({ generation: n, keys: Buffer.alloc(48, n).toString('base64') });
    const session = async (resume?: Buffer): Promise<{ reused: boolean; ticket: Buffer }> => {
      const client = await tlsConnect(s.port, { ca, maxVersion: 'TLSv1.2', ...(resume ? { session: resume } : {}) });
      const out = { reused: client.isSessionReused(), ticket: client.getSession()! };
      client.destroy();
      return out;
    };
    const first = await session();
    t.equal((await session(first.ticket)).reused, true, 'a ticket resumes under the keys that made it');
    s.tls.onTicketKeys(keys(3));
    const afterRotation = await session(first.ticket);
    t.equal(afterRotation.reused, false, 'after a rotation an old ticket means a full handshake, not an error');
    s.tls.onTicketKeys(keys(2));
    t.equal((await session(afterRotation.ticket)).reused, true, 'a late, older generation changes nothing');
  });
}
