import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { httpGet, readUntil, statusOf } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { startPropane } from '../helpers/propane.js';

const JUNK = [
  () => randomBytes(4096),
  () => Buffer.from('\x00\x01\x02\x03GARBAGE\r\n\r\n'),
  () => Buffer.from('GET / HTTP/9.9\r\nHost: x\r\n\r\n'),
  () => Buffer.from(`GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
  () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'),
  () => Buffer.from('GET / HTTP/1.1\r\nHo\x00st: x\r\n\r\n'),
];

/** Writes junk and reads until the peer closes; resolves with what came back (empty when it just closed). */
function sendJunk(open: () => Socket, junk: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = open();
    s.on('error', () => undefined);
    s.once('connect', () => {
      s.write(junk);
      void readUntil(s, () => false, 8_000).then((text) => {
        s.destroy();
        resolve(text);
      });
    });
  });
}

t.test('junk bytes flooding the HTTP port and the status socket: each answers 400 or closes, both keep serving, no worker dies', async (t) => {
  const node = await startPropane(t, { workers: 2 });
  const before = await node.readyWorkerPids();

  const { http, status } = await withLoadLock(async () => {
    const http: string[] = [];
    const status: string[] = [];
    for (let round = 0; round < 5; round++) {
      const batch = JUNK.map((make) => make());
      http.push(...(await Promise.all(batch.map((junk) => sendJunk(() => connect({ host: '127.0.0.1', port: node.port }), junk)))));
      status.push(...(await Promise.all(batch.map((junk) => sendJunk(() => connect({ path: node.socket }), junk)))));
    }
    return { http, status };
  });

  const httpCodes = http.map((text) => (text === '' ? 'closed' : String(statusOf(text))));
  const statusCodes = status.map((text) => (text === '' ? 'closed' : String(statusOf(text))));
  const tally = (codes: string[]): Record<string, number> => codes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});
  t.comment(`HTTP port: ${JSON.stringify(tally(httpCodes))}; status socket: ${JSON.stringify(tally(statusCodes))}`);
  t.ok(httpCodes.every((c) => c === '400' || c === '431' || c === 'closed'), 'the HTTP port answers junk with 400/431 or closes, never anything else');
  t.ok(httpCodes.filter((c) => c === '400').length >= 5, 'most junk gets a clear 400');
  t.ok(statusCodes.every((c) => c === '400' || c === '431'), 'the status socket answers every piece of junk with 400 (or 431 for a huge header)');
  t.ok(status.filter((text) => statusOf(text) === 400).every((text) => text.includes('PROPANE_ERR_USAGE')), 'the status 400 carries an error code');

  t.same(await node.readyWorkerPids(), before, 'no worker died');
  t.equal(node.logs.filter((l) => l.event === 'worker_exit').length, 0);
  for (let i = 0; i < 6; i++) t.equal((await httpGet(node.port, '/')).status, 200, 'the HTTP port serves');
  t.equal((await callStatusSocket(node.socket, 'GET', '/status')).status, 200, 'the status socket serves');
  const settled = await node.waitForStatus((s) => s.totals.sessions.http === 0);
  t.equal(settled.totals.sessions.http, 0, 'no junk connection is left holding a session');
});
