import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { httpGet, rawConnect, readUntil } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { within } from '../helpers/wait.js';
import { openWebSocket } from '../helpers/websocket.js';

const MAX_PAYLOAD = 1024;

/** Resolves with the close code and when it came, or null if the socket is still open after timeoutMs. */
function closed(ws: WebSocket, timeoutMs: number): Promise<{ code: number; at: number } | null> {
  return within(new Promise((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() }))), timeoutMs);
}

function nextMessage(ws: WebSocket, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
    ws.once('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** A hand-made WebSocket client for frames `ws` refuses to send. */
async function rawHandshake(port: number): Promise<Socket> {
  const s = await rawConnect(port);
  const key = randomBytes(16).toString('base64');
  s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const head = await readUntil(s, (text) => text.includes('\r\n\r\n'), 5_000);
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  if (!head.startsWith('HTTP/1.1 101') || !head.includes(accept)) throw new Error(`handshake failed: ${head}`);
  return s;
}

function frame(opcode: number, payload: Buffer, opts: { masked?: boolean; fin?: boolean } = {}): Buffer {
  const masked = opts.masked ?? true;
  const first = ((opts.fin ?? true) ? 0x80 : 0) | opcode;
  const mask = randomBytes(4);
  const body = masked ? Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!)) : payload;
  return Buffer.concat([Buffer.from([first, (masked ? 0x80 : 0) | payload.length]), masked ? mask : Buffer.alloc(0), body]);
}

/** Reads the server's close frame and returns its status code. */
async function closeCode(s: Socket): Promise<number> {
  const bytes: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    s.on('data', (c: Buffer) => bytes.push(c));
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const all = Buffer.concat(bytes);
  const at = all.indexOf(0x88);
  return at >= 0 && all.length >= at + 4 ? all.readUInt16BE(at + 2) : -1;
}

t.test('WebSocket sessions are kept honest and the worker survives bad peers', async (t) => {
  const node = await startPropane(t, {
    workers: 1,
    config: { websocket: { maxPayloadBytes: MAX_PAYLOAD, pingIntervalSeconds: 1, pongTimeoutSeconds: 1 } },
    env: WORKER_PID_HEADERS,
  });
  const pid = (await httpGet(node.port, '/')).headers['x-arlen-worker-pid'];

  t.test('the worker pings every pingIntervalSeconds and keeps a peer that answers', async (t) => {
    const ws = await openWebSocket(t, node.port);
    let pings = 0;
    ws.on('ping', () => pings++);
    const gone = await closed(ws, 3_500);
    t.equal(gone, null, 'a peer that answers pongs stays open past pongTimeoutSeconds');
    t.ok(pings >= 2, `it was pinged ${pings} times in 3.5 s`);
  });

  t.test('a peer that misses the pong is terminated and counted', async (t) => {
    const ws = await openWebSocket(t, node.port, '/ws', { autoPong: false });
    const from = node.logs.length;
    const gone = await closed(ws, 6_000);
    t.not(gone, null, 'the silent peer was cut');
    t.equal(gone?.code, 1006, 'terminated without a close handshake');
    const line = await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'pong', 5_000, from);
    t.equal(line.reason, 'pong');
  });

  t.test('a fragmented message is reassembled before the app sees it', async (t) => {
    const ws = await openWebSocket(t, node.port);
    const reply = nextMessage(ws);
    ws.send('frag', { fin: false });
    ws.send('ment', { fin: false });
    ws.send('ed', { fin: true });
    t.equal((await reply).toString(), 'fragmented');
  });

  t.test('a message over maxPayloadBytes closes with 1009', async (t) => {
    const ws = await openWebSocket(t, node.port);
    const gone = closed(ws, 5_000);
    ws.send(Buffer.alloc(MAX_PAYLOAD + 1, 1));
    t.equal((await gone)?.code, 1009);
  });

  t.test('fragments that add up to more than maxPayloadBytes close with 1009', async (t) => {
    const ws = await openWebSocket(t, node.port);
    const gone = closed(ws, 5_000);
    ws.send(Buffer.alloc(MAX_PAYLOAD / 2 + 8, 1), { fin: false });
    ws.send(Buffer.alloc(MAX_PAYLOAD / 2 + 8, 1), { fin: true });
    t.equal((await gone)?.code, 1009);
  });

  for (const c of [
    { name: 'a reserved opcode closes with 1002', bytes: () => frame(0x3, Buffer.from('x')), want: 1002 },
    { name: 'an unmasked client frame closes with 1002', bytes: () => frame(0x1, Buffer.from('hi'), { masked: false }), want: 1002 },
    { name: 'text that is not UTF-8 closes with 1007', bytes: () => frame(0x1, Buffer.from([0xc3, 0x28])), want: 1007 },
    { name: 'a continuation with nothing to continue closes with 1002', bytes: () => frame(0x0, Buffer.from('x')), want: 1002 },
  ]) {
    t.test(c.name, async (t) => {
      const s = await rawHandshake(node.port);
      t.teardown(() => s.destroy());
      s.write(c.bytes());
      t.equal(await closeCode(s), c.want);
    });
  }

  t.test('the same worker still serves HTTP and WebSocket afterwards', async (t) => {
    const res = await httpGet(node.port, '/');
    t.equal(res.status, 200);
    t.equal(res.headers['x-arlen-worker-pid'], pid, 'no worker was replaced');
    const ws = await openWebSocket(t, node.port);
    const reply = nextMessage(ws);
    ws.send('still here');
    t.equal((await reply).toString(), 'still here');
    const status = await node.status();
    t.equal(status.workers[0]?.restarts, 0, 'the worker never restarted');
  });
});
