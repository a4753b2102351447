import t from 'tap';
import type { Socket } from 'node:net';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { httpGet, isCompleteResponse, rawConnect, rawGet, readUntil, statusOf } from '../helpers/http.js';
import { fixtureApp, runCli, sleep, startPropane } from '../helpers/propane.js';

const SHORT = { timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 1, writeSeconds: 1 } };

/** Resolves true when the socket closes within timeoutMs. */
function closesWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

function bodyOf(raw: string): string {
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

async function timeoutsTotal(socketPath: string, reason: string): Promise<number> {
  const reply = await callStatusSocket(socketPath, 'GET', '/metrics', 5_000);
  const m = new RegExp(`^propane_timeouts_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(reply.body);
  return Number(m?.[1] ?? -1);
}

async function waitForTotal(socketPath: string, reason: string, atLeast: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = -1;
  while (Date.now() < deadline) {
    n = await timeoutsTotal(socketPath, reason);
    if (n >= atLeast) return n;
    await sleep(100);
  }
  return n;
}

t.test('the timeout defaults are 10/30/5/30 and the ARLEN_* variables set them', async (t) => {
  const defaults = await runCli(['config', '--json']);
  t.equal(defaults.code, 0, defaults.stderr);
  t.same(JSON.parse(defaults.stdout).timeouts, { headerSeconds: 10, bodySeconds: 30, idleSeconds: 5, writeSeconds: 30 });
  const env = {
    ARLEN_HEADER_TIMEOUT_SECONDS: '2',
    ARLEN_BODY_TIMEOUT_SECONDS: '3',
    ARLEN_IDLE_TIMEOUT_SECONDS: '4',
    ARLEN_WRITE_TIMEOUT_SECONDS: '6',
  };
  const set = await runCli(['config', '--json'], { env });
  t.equal(set.code, 0, set.stderr);
  t.same(JSON.parse(set.stdout).timeouts, { headerSeconds: 2, bodySeconds: 3, idleSeconds: 4, writeSeconds: 6 });
});

t.test('slow headers, slow bodies, idle keep-alives and stalled readers are cut, logged and counted', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('i6-big.cjs'), workers: 1, config: SHORT });

  t.test('headers not complete within headerSeconds get 408 with reason header, then the socket closes', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const raw = await readUntil(s, isCompleteResponse, 5_000);
    t.equal(statusOf(raw), 408);
    t.equal(header(raw, 'X-Arlen-Timeout-Reason'), 'header');
    t.equal(header(raw, 'Connection'), 'close');
    t.equal(header(raw, 'X-Arlen-Cluster'), 'default', 'the 408 carries the cluster headers');
    t.equal(bodyOf(raw), 'request timeout\n');
    t.ok(await closesWithin(s, 4_000), 'the worker closes the socket after the 408');
  });

  t.test('a second request on a keep-alive connection gets its own header clock', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    t.equal(statusOf(await rawGet(s, '/')), 200);
    s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const raw = await readUntil(s, isCompleteResponse, 5_000);
    t.equal(statusOf(raw), 408);
    t.equal(header(raw, 'X-Arlen-Timeout-Reason'), 'header');
  });

  t.test('a body not complete within bodySeconds gets 408 with reason body, then the socket closes', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.write('POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly ten..');
    const raw = await readUntil(s, isCompleteResponse, 5_000);
    t.equal(statusOf(raw), 408);
    t.equal(header(raw, 'X-Arlen-Timeout-Reason'), 'body');
    t.equal(header(raw, 'Connection'), 'close');
    t.equal(bodyOf(raw), 'request timeout\n');
    t.ok(await closesWithin(s, 4_000), 'the worker closes the socket after the 408');
  });

  t.test('a body still dribbling after the app answered is cut after bodySeconds, with no 408 after the answer', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nx');
    const dribble = setInterval(() => s.writable && s.write('x'), 200);
    t.teardown(() => clearInterval(dribble));
    const text = await readUntil(s, () => false, 6_000);
    t.ok(s.destroyed || s.readableEnded, 'the worker closed the connection');
    t.equal(statusOf(text), 200, 'the app answered');
    t.notMatch(text, /408 Request Timeout/, 'no 408 follows a finished answer');
  });

  t.test('an idle keep-alive connection is closed after idleSeconds without a response', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    const first = await rawGet(s, '/');
    t.equal(statusOf(first), 200);
    const after = await readUntil(s, () => false, 5_000);
    t.ok(s.destroyed || s.readableEnded, 'the idle connection was closed');
    t.equal(after, '', 'nothing is written to an idle connection before it closes');
  });

  t.test('a client that stops reading a large response is cut after writeSeconds', async (t) => {
    const s = await rawConnect(node.port);
    t.teardown(() => s.destroy());
    s.pause();
    const from = node.logs.length;
    s.write('GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const line = await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'write', 8_000, from);
    t.equal(line.reason, 'write');
    let received = 0;
    s.on('data', (c: Buffer) => (received += c.length));
    s.resume();
    t.ok(await closesWithin(s, 8_000), 'the connection ends once the buffered bytes are read');
    t.ok(received < 32 * 1024 * 1024, `the client got ${received} bytes, less than the full 32 MiB body`);
  });

  t.test('every cut is logged as a timeout event and counted by reason node-wide', async (t) => {
    for (const reason of ['header', 'body', 'idle', 'write']) {
      t.ok(node.logs.some((l) => l.event === 'timeout' && l.reason === reason), `a timeout event with reason ${reason} was logged`);
      t.ok((await waitForTotal(node.socket, reason, 1)) >= 1, `propane_timeouts_total{reason="${reason}"} counts it`);
    }
    const res = await httpGet(node.port, '/');
    t.equal(res.status, 200, 'the worker keeps serving');
  });
});
