import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { attachConn, type Conn } from '../../../worker/connection.js';
import { sweepIntervalMs, sweepTimeouts, type TimeoutLimitsMs } from '../../../worker/timeouts.js';

const LIMITS: TimeoutLimitsMs = { header: 1_000, body: 2_000, idle: 500, write: 3_000 };

interface SocketCounters {
  bytesRead: number;
  bytesWritten: number;
  writableLength: number;
}

function conn(socket: Partial<SocketCounters>, fields: Partial<Conn> = {}): Conn {
  const c = attachConn({ bytesRead: 0, bytesWritten: 0, writableLength: 0, ...socket } as unknown as Socket, 0);
  return Object.assign(c, fields);
}

const req = (complete: boolean) => ({ complete }) as IncomingMessage;
const res = (headersSent: boolean, writableFinished = false) => ({ headersSent, writableFinished }) as ServerResponse;

const rows: Array<{ name: string; conn: () => Conn; now: number; want: string | null }> = [
  { name: 'a fresh silent connection is idle until idle ms', conn: () => conn({}), now: 499, want: null },
  { name: 'a silent connection is cut as idle at idle ms', conn: () => conn({}), now: 500, want: 'idle/false' },
  { name: 'bytes of a next request start the header clock', conn: () => conn({ bytesRead: 10 }), now: 10_000, want: null },
  { name: 'headers started and not done within header ms get a 408', conn: () => conn({ bytesRead: 10 }, { headerStartedAt: 100 }), now: 1_100, want: 'header/true' },
  { name: 'a body still arriving after body ms gets a 408', conn: () => conn({ bytesRead: 10 }, { req: req(false), res: res(false), reqStartedAt: 0 }), now: 2_000, want: 'body/true' },
  { name: 'a body still arriving before body ms is left alone', conn: () => conn({ bytesRead: 10 }, { req: req(false), res: res(false), reqStartedAt: 0 }), now: 1_999, want: null },
  { name: 'a slow app with a complete request is never timed out', conn: () => conn({ bytesRead: 10 }, { req: req(true), res: res(false), reqStartedAt: 0 }), now: 60_000, want: null },
  { name: 'an app streaming its answer while the body arrives is not timed out', conn: () => conn({ bytesRead: 10 }, { req: req(false), res: res(true), reqStartedAt: 0 }), now: 60_000, want: null },
  { name: 'a body still dribbling after a finished answer is cut without a 408', conn: () => conn({ bytesRead: 10 }, { req: req(false), res: res(true, true), reqStartedAt: 0 }), now: 2_000, want: 'body/false' },
  { name: 'a body still dribbling after a finished answer is left alone before body ms', conn: () => conn({ bytesRead: 10 }, { req: req(false), res: res(true, true), reqStartedAt: 0 }), now: 1_999, want: null },
  { name: 'upgraded connections belong to the WebSocket hub', conn: () => conn({}, { upgraded: true }), now: 60_000, want: null },
  { name: 'closed connections are skipped', conn: () => conn({}, { closed: true }), now: 60_000, want: null },
  { name: 'a TLS handshake in progress is left to the handshake timeout, however long silent', conn: () => conn({}, { handshaking: true }), now: 60_000, want: null },
  { name: 'handshake bytes on the raw socket do not start the header clock', conn: () => conn({ bytesRead: 517 }, { handshaking: true, headerStartedAt: 0 }), now: 60_000, want: null },
  {
    name: 'a write stalled for write ms is cut without a 408',
    conn: () => conn({ bytesWritten: 100, writableLength: 50 }, { req: req(true), res: res(true), writeStalledSince: 1, bytesWrittenAtCheck: 100, writableLengthAtCheck: 50 }),
    now: 3_001,
    want: 'write/false',
  },
  {
    name: 'a write that moved since the last sweep restarts the write clock',
    conn: () => conn({ bytesWritten: 100, writableLength: 40 }, { req: req(true), res: res(true), writeStalledSince: 1, bytesWrittenAtCheck: 100, writableLengthAtCheck: 50 }),
    now: 3_001,
    want: null,
  },
];

for (const c of rows) {
  t.test(c.name, async (t) => {
    const verdicts = sweepTimeouts([c.conn()], c.now, LIMITS);
    t.same(verdicts.map((v) => `${v.reason}/${String(v.answer408)}`), c.want === null ? [] : [c.want]);
  });
}

t.test('the write clock restarts when the queue moves and fires after write ms of no progress', async (t) => {
  const socket = { bytesRead: 0, bytesWritten: 100, writableLength: 50 };
  const c = Object.assign(attachConn(socket as unknown as Socket, 0), { req: req(true), res: res(true) });
  t.same(sweepTimeouts([c], 1_000, LIMITS), [], 'first sight of a queue starts the clock');
  socket.writableLength = 30;
  t.same(sweepTimeouts([c], 3_500, LIMITS), [], 'progress restarts it');
  t.same(sweepTimeouts([c], 6_499, LIMITS), []);
  t.same(sweepTimeouts([c], 6_500, LIMITS).map((v) => v.reason), ['write']);
});

for (const c of [
  { name: 'sweeps a quarter of the shortest limit', limits: { header: 1_000, body: 1_000, idle: 1_000, write: 1_000 }, want: 250 },
  { name: 'never sweeps more often than every 100 ms', limits: { header: 100, body: 100, idle: 100, write: 100 }, want: 100 },
  { name: 'sweeps at least once a second', limits: { header: 10_000, body: 30_000, idle: 5_000, write: 30_000 }, want: 1_000 },
]) {
  t.test(c.name, async (t) => t.equal(sweepIntervalMs(c.limits), c.want));
}
