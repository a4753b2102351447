import t from 'tap';
import { IPC_SCHEMA_VERSION, WorkerToSupervisor } from '../../../contracts/ipc.js';
import { zodCheck } from '../../../contracts/zod-check.js';
import { createIpcReceiver } from '../../../shared/ipc-receiver.js';
import { logSink } from '../../helpers/log-sink.js';

/** A real pino logger whose lines land in an array, and a receiver with a clock the test moves. */
function setup(windowMs = 1000) {
  const { log, lines } = logSink();
  const handled: unknown[] = [];
  let now = 0;
  const receive = createIpcReceiver(zodCheck(WorkerToSupervisor), log, 'worker 1', (msg) => handled.push(msg), { windowMs, now: () => now });
  return { lines, handled, receive, advance: (ms: number) => (now += ms) };
}

const v = IPC_SCHEMA_VERSION;

t.test('hands a valid message to the handler, parsed, and logs nothing', async (t) => {
  const { lines, handled, receive } = setup();
  receive({ type: 'worker_ready', schema_version: v });
  t.same(handled, [{ type: 'worker_ready', schema_version: v }]);
  t.same(lines, []);
});

for (const c of [
  { name: 'a known type without schema_version', raw: { type: 'worker_ready' }, type: 'worker_ready' },
  { name: 'a future schema_version', raw: { type: 'worker_ready', schema_version: 2 }, type: 'worker_ready' },
  { name: 'a wrongly typed field', raw: { type: 'lease_request', schema_version: v, kind: 'http', seq: 'one', need: 1, want: 1 }, type: 'lease_request' },
  { name: 'a negative count', raw: { type: 'lease_return', schema_version: v, kind: 'http', seq: 0, count: -5 }, type: 'lease_return' },
  { name: 'an extra key on a strict message', raw: { type: 'worker_ready', schema_version: v, extra: true }, type: 'worker_ready' },
  { name: 'an unknown type', raw: { type: 'launch_missiles', schema_version: v }, type: 'launch_missiles' },
  { name: 'an object without type', raw: { cmd: 'app-thing', hello: 'world' }, type: 'object' },
  { name: 'a string', raw: 'junk', type: 'string' },
  { name: 'a number', raw: 42, type: 'number' },
  { name: 'null', raw: null, type: 'object' },
  { name: 'undefined', raw: undefined, type: 'undefined' },
  { name: 'an array', raw: [1, 2], type: 'object' },
  { name: 'a very long type name, cut to 64 characters', raw: { type: 'x'.repeat(500) }, type: 'x'.repeat(64) },
]) {
  t.test(`drops ${c.name} and logs ipc_rejected once`, async (t) => {
    const { lines, handled, receive } = setup();
    t.doesNotThrow(() => receive(c.raw));
    t.same(handled, []);
    t.equal(lines.length, 1);
    t.match(lines[0], { event: 'ipc_rejected', level: 40, from: 'worker 1', type: c.type, suppressed_since_last: 0 });
    t.type(lines[0]!.issue, 'string');
  });
}

t.test('rate-limits ipc_rejected to one line per window and counts what it held back', async (t) => {
  const { lines, handled, receive, advance } = setup(1000);
  for (let i = 0; i < 100; i++) receive({ junk: i });
  t.equal(lines.length, 1, 'a flood in one window is one line');
  receive({ type: 'worker_ready', schema_version: v });
  t.equal(handled.length, 1, 'valid messages still pass during a flood');
  advance(999);
  receive('junk');
  t.equal(lines.length, 1, 'still inside the window');
  advance(1);
  receive('junk');
  t.equal(lines.length, 2, 'the next window logs again');
  t.equal(lines[1]!.suppressed_since_last, 100, 'and says how many were suppressed');
});

t.test('a handler that throws is the caller’s problem, not swallowed as junk', async (t) => {
  const { log, lines } = logSink();
  const receive = createIpcReceiver(zodCheck(WorkerToSupervisor), log, 'w', () => {
    throw new Error('handler bug');
  });
  t.throws(() => receive({ type: 'worker_ready', schema_version: v }), /handler bug/);
  t.same(lines, []);
});

t.test('a valid message reaches the handler with the handle that came with it', async (t) => {
  const { log } = logSink();
  const got: unknown[] = [];
  const receive = createIpcReceiver(zodCheck(WorkerToSupervisor), log, 'w', (msg, attached) => got.push([msg, attached]));
  const handle = { close: () => undefined };
  receive({ type: 'listener_request', schema_version: v }, handle);
  receive({ type: 'worker_ready', schema_version: v });
  t.same(got, [[{ type: 'listener_request', schema_version: v }, handle], [{ type: 'worker_ready', schema_version: v }, undefined]]);
  t.equal(got[0] && (got[0] as unknown[])[1], handle, 'the very same handle object');
});

t.test('junk that came with a handle is dropped with its handle closed, so no descriptor leaks', async (t) => {
  const { lines, handled, receive } = setup();
  const closed: string[] = [];
  receive({ type: 'launch_missiles', schema_version: v }, { close: () => closed.push('handle') });
  receive({ junk: true }, { destroy: () => closed.push('socket'), close: () => closed.push('wrong') });
  t.same(handled, []);
  t.same(closed, ['handle', 'socket'], 'a raw handle is closed, a net.Socket destroyed');
  t.equal(lines.length, 1);
});
