import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';

/**
 * The new-connection client of tls-ratio.ts, in a process of its own: for
 * `duration` seconds, `concurrency` loops each open a TLS connection to
 * 127.0.0.1:<port>, send `GET /` with `Connection: close`, read the answer
 * and wait for the close. With `resume`, each loop offers the last session
 * ticket it received, so every connection but its first resumes; with
 * `full`, none does. Prints one JSON line: connections per second, how many
 * were resumed (checked with isSessionReused, so a side that silently does
 * full handshakes shows), answers that were not 200, and errors.
 *
 *   node dist/bench/tls-connections.js <port> <ca.pem> <resume|full> <concurrency> <duration seconds>
 */
const [port, caFile, mode, concurrency, durationSeconds] = [Number(process.argv[2]), process.argv[3]!, process.argv[4] as 'resume' | 'full', Number(process.argv[5]), Number(process.argv[6])];
const ca = readFileSync(caFile, 'utf8');
const tally = { connections: 0, resumed: 0, non200: 0, errors: 0 };

function once(session: Buffer | undefined): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let latest = session;
    let answer = '';
    let reused = false;
    const socket: TLSSocket = connect({ port, host: '127.0.0.1', ca, servername: 'localhost', ...(session ? { session } : {}) }, () => {
      // Read now: once the socket has closed, isSessionReused() has nothing left to ask.
      reused = socket.isSessionReused();
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    // TLS 1.3 tickets arrive after the handshake (a resumed session brings none); keep the last one.
    socket.on('session', (s: Buffer) => (latest = s));
    socket.setEncoding('latin1').on('data', (c: string) => (answer += c));
    socket.once('error', () => void tally.errors++);
    socket.once('close', () => {
      if (answer.startsWith('HTTP/1.1 200')) {
        tally.connections++;
        if (reused) tally.resumed++;
      } else if (answer !== '') tally.non200++;
      resolve(mode === 'resume' ? latest : undefined);
    });
  });
}

const startedAt = performance.now();
const until = startedAt + durationSeconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    let session: Buffer | undefined;
    while (performance.now() < until) session = await once(session);
  }),
);
const seconds = (performance.now() - startedAt) / 1000;
process.stdout.write(`${JSON.stringify({ ...tally, perSec: tally.connections / seconds })}\n`);
