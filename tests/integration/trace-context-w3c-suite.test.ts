import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import t, { type Test } from 'tap';
import { sendRaw } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';

/**
 * The W3C trace-context test suite (github.com/w3c/trace-context, test/test.py:
 * TraceContextTest, AdvancedTest and TraceContext2Test, every test, each
 * sub-case in the order written there) driven against a real propane whose
 * app continues the trace the way the README shows
 * (tests/fixtures/apps/forwards-trace-context.mjs). As in the suite, a
 * harness server takes the app's callbacks and each case asserts on the
 * traceparent and tracestate the app sent on, parsed as strictly as the
 * suite's own Traceparent and Tracestate classes do.
 */
type Headers = Array<readonly [string, string]>;

const ID = '12345678901234567890123456789012';
const TP = (flags = '01'): string => `00-${ID}-1234567890123456-${flags}`;

class Harness {
  readonly callbacks = new Map<string, Headers>();
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      this.callbacks.set(req.url!.slice(1), pairs);
      req.resume().once('end', () => res.setHeader('Content-Type', 'application/json').end('null'));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as { port: number }).port;
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

interface Traceparent {
  traceId: string;
  parentId: string;
  flags: number;
}

/** The suite's get_traceparent: exactly one traceparent header, version 00, lower-hex fields, no zero ids. */
function traceparentOf(t: Test, headers: Headers): Traceparent {
  const values = headers.filter(([k]) => k.toLowerCase() === 'traceparent').map(([, v]) => v);
  t.equal(values.length, 1, 'the app sends exactly one traceparent');
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(values[0] ?? '');
  t.ok(m, `a valid version-00 traceparent: ${values[0]}`);
  t.not(m?.[1], '0'.repeat(32));
  t.not(m?.[2], '0'.repeat(16));
  return { traceId: m?.[1] ?? '', parentId: m?.[2] ?? '', flags: Number.parseInt(m?.[3] ?? '0', 16) };
}

const MEMBER = /^([0-9a-z][_0-9a-z\-*/@]{0,255})=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])$/;

/** The suite's get_tracestate: every tracestate header, members split on OWS-comma-OWS, a malformed one an error, the first of a duplicated key kept. */
function tracestateOf(t: Test, headers: Headers): Map<string, string> {
  const state = new Map<string, string>();
  for (const [k, v] of headers) {
    if (k.toLowerCase() !== 'tracestate') continue;
    for (const member of v.split(/[ \t]*,[ \t]*/)) {
      if (member === '') continue;
      const m = MEMBER.exec(member);
      t.ok(m, `the app sends only well-formed members: ${JSON.stringify(member)}`);
      if (m && !state.has(m[1]!)) state.set(m[1]!, m[2]!);
    }
  }
  return state;
}

const harness = new Harness();
let node: PropaneNode;

t.before(async () => {
  await harness.start();
});
t.teardown(() => harness.close());

/** The suite's make_request: propane gets `headers` (raw, duplicates and casing as given) and a list of `count` callbacks. */
async function makeRequest(t: Test, headers: Headers, count = 1): Promise<Headers[]> {
  const scope = randomUUID().replace(/-/g, '');
  const body = JSON.stringify(Array.from({ length: count }, (_, i) => ({ url: `http://127.0.0.1:${harness.port}/${scope}.${i}`, arguments: [] })));
  const head = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const res = await sendRaw(node.port, `POST /test HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  t.equal(res.status, 200, 'the service answered');
  return Array.from({ length: count }, (_, i) => harness.callbacks.get(`${scope}.${i}`) ?? []);
}

async function single(t: Test, headers: Headers): Promise<{ tp: Traceparent; ts: Map<string, string> }> {
  const [callback] = await makeRequest(t, headers);
  return { tp: traceparentOf(t, callback!), ts: tracestateOf(t, callback!) };
}

t.test('the W3C trace-context test suite, against a real propane', async (t) => {
  node = await startPropane(t, { app: fixtureApp('forwards-trace-context.mjs'), workers: 1 });

  // TraceContextTest
  t.test('test_both_traceparent_and_tracestate_missing', async (t) => {
    await single(t, []);
  });
  t.test('test_traceparent_included_tracestate_missing', async (t) => {
    const { tp } = await single(t, [['traceparent', TP()]]);
    t.equal(tp.traceId, ID);
    t.not(tp.parentId, '1234567890123456');
  });
  t.test('test_traceparent_duplicated', async (t) => {
    const { tp } = await single(t, [['traceparent', `00-${ID.slice(0, 31)}1-1234567890123456-01`], ['traceparent', TP()]]);
    t.not(tp.traceId, `${ID.slice(0, 31)}1`);
    t.not(tp.traceId, ID);
  });
  t.test('test_traceparent_header_name', async (t) => {
    for (const name of ['trace-parent', 'trace.parent']) t.not((await single(t, [[name, TP()]])).tp.traceId, ID, name);
  });
  t.test('test_traceparent_header_name_valid_casing', async (t) => {
    for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) t.equal((await single(t, [[name, TP()]])).tp.traceId, ID, name);
  });
  const restarts: Array<[string, string[]]> = [
    ['test_traceparent_version_0x00', [`${TP()}.`, `${TP()}-what-the-future-will-be-like`]],
    ['test_traceparent_version_0xff', [`ff-${ID}-1234567890123456-01`]],
    ['test_traceparent_version_illegal_characters', [`.0-${ID}-1234567890123456-01`, `0.-${ID}-1234567890123456-01`]],
    ['test_traceparent_version_too_long', [`000-${ID}-1234567890123456-01`, `0000-${ID}-1234567890123456-01`]],
    ['test_traceparent_version_too_short', [`0-${ID}-1234567890123456-01`]],
    ['test_traceparent_parent_id_all_zero', [`00-${ID}-0000000000000000-01`]],
    ['test_traceparent_parent_id_illegal_characters', [`00-${ID}-.234567890123456-01`, `00-${ID}-123456789012345.-01`]],
    ['test_traceparent_parent_id_too_long', [`00-${ID}-12345678901234567-01`]],
    ['test_traceparent_parent_id_too_short', [`00-${ID}-123456789012345-01`]],
    ['test_traceparent_trace_flags_illegal_characters', [`00-${ID}-1234567890123456-.0`, `00-${ID}-1234567890123456-0.`]],
    ['test_traceparent_trace_flags_too_long', [`00-${ID}-1234567890123456-001`]],
    ['test_traceparent_trace_flags_too_short', [`00-${ID}-1234567890123456-1`]],
  ];
  for (const [name, values] of restarts) {
    t.test(name, async (t) => {
      for (const value of values) t.not((await single(t, [['traceparent', value]])).tp.traceId, ID, value);
    });
  }
  t.test('test_traceparent_version_0xcc', async (t) => {
    t.equal((await single(t, [['traceparent', `cc-${ID}-1234567890123456-01`]])).tp.traceId, ID);
    t.equal((await single(t, [['traceparent', `cc-${ID}-1234567890123456-01-what-the-future-will-be-like`]])).tp.traceId, ID);
    t.not((await single(t, [['traceparent', `cc-${ID}-1234567890123456-01.what-the-future-will-be-like`]])).tp.traceId, ID);
  });
  t.test('test_traceparent_trace_id_all_zero', async (t) => {
    t.not((await single(t, [['traceparent', `00-${'0'.repeat(32)}-1234567890123456-01`]])).tp.traceId, '0'.repeat(32));
  });
  t.test('test_traceparent_trace_id_illegal_characters', async (t) => {
    for (const id of [`.${ID.slice(1)}`, `${ID.slice(0, 31)}.`]) t.not((await single(t, [['traceparent', `00-${id}-1234567890123456-01`]])).tp.traceId, id);
  });
  t.test('test_traceparent_trace_id_too_long', async (t) => {
    const { tp } = await single(t, [['traceparent', `00-${ID}3-1234567890123456-01`]]);
    for (const id of [`${ID}3`, ID, `${ID.slice(1)}3`]) t.not(tp.traceId, id);
  });
  t.test('test_traceparent_trace_id_too_short', async (t) => {
    t.not((await single(t, [['traceparent', `00-${ID.slice(0, 31)}-1234567890123456-01`]])).tp.traceId, ID.slice(0, 31));
  });
  t.test('test_traceparent_ows_handling', async (t) => {
    for (const value of [` ${TP()}`, `\t${TP()}`, `${TP()} `, `${TP()}\t`, `\t ${TP()} \t`]) t.equal((await single(t, [['traceparent', value]])).tp.traceId, ID, JSON.stringify(value));
  });
  t.test('test_tracestate_included_traceparent_missing', async (t) => {
    const one = await single(t, [['tracestate', 'foo=1']]);
    const two = await single(t, [['tracestate', 'foo=1,bar=2']]);
    t.equal(one.ts.size, two.ts.size);
  });
  const P = ['traceparent', TP('00')] as const;
  t.test('test_tracestate_included_traceparent_included', async (t) => {
    const { tp, ts } = await single(t, [P, ['tracestate', 'foo=1,bar=2']]);
    t.equal(tp.traceId, ID);
    t.same([...ts], [['foo', '1'], ['bar', '2']]);
  });
  t.test('test_tracestate_header_name', async (t) => {
    for (const name of ['trace-state', 'trace.state']) t.notOk((await single(t, [P, [name, 'foo=1']])).ts.has('foo'), name);
  });
  t.test('test_tracestate_header_name_valid_casing', async (t) => {
    for (const name of ['TraceState', 'TrAcEsTaTe', 'TRACESTATE']) t.equal((await single(t, [P, [name, 'foo=1']])).ts.get('foo'), '1', name);
  });
  t.test('test_tracestate_empty_header', async (t) => {
    const alone = await single(t, [P, ['tracestate', '']]);
    t.equal(alone.tp.traceId, ID);
    t.equal(alone.ts.size, 0);
    for (const order of [['foo=1', ''], ['', 'foo=1']]) {
      const { tp, ts } = await single(t, [P, ['tracestate', order[0]!], ['tracestate', order[1]!]]);
      t.equal(tp.traceId, ID);
      t.equal(ts.get('foo'), '1', JSON.stringify(order));
    }
  });
  t.test('test_tracestate_multiple_headers_different_keys', async (t) => {
    const { tp, ts } = await single(t, [P, ['tracestate', 'foo=1,bar=2'], ['tracestate', 'rojo=1,congo=2'], ['tracestate', 'baz=3']]);
    t.equal(tp.traceId, ID);
    t.same([...ts], [['foo', '1'], ['bar', '2'], ['rojo', '1'], ['congo', '2'], ['baz', '3']], 'every member, in order');
  });
  t.test('test_tracestate_duplicated_keys', async (t) => {
    for (const sent of [['foo=1,foo=1'], ['foo=1,foo=2'], ['foo=1', 'foo=1'], ['foo=1', 'foo=2']]) {
      const { tp, ts } = await single(t, [P, ...sent.map((v) => ['tracestate', v] as const)]);
      t.equal(tp.traceId, ID);
      t.equal(ts.get('foo'), '1', `kept as sent: ${sent.join(' | ')}`);
    }
  });
  t.test('test_tracestate_all_allowed_characters', async (t) => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
    const value = [[0x20, 0x2b], [0x2d, 0x3c], [0x3e, 0x7e]].map(([a, b]) => Array.from({ length: b! - a! + 1 }, (_, i) => String.fromCharCode(a! + i)).join('')).join('');
    for (const k of [key, `${key}@a-z0-9_-*/`]) t.equal((await single(t, [P, ['tracestate', `${k}=${value}`]])).ts.get(k), value, k);
  });
  t.test('test_tracestate_ows_handling', async (t) => {
    for (const v of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) t.same([...(await single(t, [P, ['tracestate', v]])).ts], [['foo', '1'], ['bar', '2'], ['baz', '3']], JSON.stringify(v));
    for (const v of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
      const { tp, ts } = await single(t, [P, ['tracestate', v]]);
      t.equal(tp.traceId, ID);
      t.equal(ts.get('foo'), '1', JSON.stringify(v));
    }
  });
  t.test('test_tracestate_key_illegal_characters', async (t) => {
    for (const [v, key] of [['foo =1', 'foo '], ['FOO=1', 'FOO'], ['foo.bar=1', 'foo.bar']] as const) t.notOk((await single(t, [P, ['tracestate', v]])).ts.has(key), v);
  });
  t.test('test_tracestate_key_illegal_vendor_format', async (t) => {
    const a = await single(t, [P, ['tracestate', 'foo@=1,bar=2']]);
    t.same([a.ts.get('foo@'), a.ts.get('bar')], ['1', '2']);
    t.notOk((await single(t, [P, ['tracestate', '@foo=1,bar=2']])).ts.has('bar'), 'a key starting with @ discards the header');
    for (const key of ['foo@@bar', 'foo@bar@baz']) {
      const { ts } = await single(t, [P, ['tracestate', `${key}=1,bar=2`]]);
      t.same([ts.get(key), ts.get('bar')], ['1', '2'], key);
    }
  });
  t.test('test_tracestate_member_count_limit', async (t) => {
    const m = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(2, '0')).map((n) => `bar${n}=${n}`).join(',');
    const ok = await single(t, [P, ['tracestate', m(1, 10)], ['tracestate', m(11, 20)], ['tracestate', m(21, 30)], ['tracestate', m(31, 32)]]);
    t.equal(ok.ts.get('bar01'), '01');
    t.equal(ok.ts.size, 32);
    const over = await single(t, [P, ['tracestate', m(1, 10)], ['tracestate', m(11, 20)], ['tracestate', m(21, 30)], ['tracestate', m(31, 33)]]);
    t.notOk(over.ts.has('bar01'), '33 members discard the header');
  });
  t.test('test_tracestate_key_length_limit', async (t) => {
    for (const key of ['z'.repeat(256), `${'t'.repeat(241)}@${'v'.repeat(14)}`, `${'t'.repeat(242)}@v`, `t@${'v'.repeat(15)}`]) {
      const { ts } = await single(t, [P, ['tracestate', 'foo=1'], ['tracestate', `${key}=1`]]);
      t.same([ts.get('foo'), ts.get(key)], ['1', '1'], `${key.length} characters`);
    }
    t.notOk((await single(t, [P, ['tracestate', 'foo=1'], ['tracestate', `${'z'.repeat(257)}=1`]])).ts.has('foo'), 'a key of 257 characters discards the header');
  });
  t.test('test_tracestate_value_illegal_characters', async (t) => {
    t.notOk((await single(t, [P, ['tracestate', 'foo=bar=baz']])).ts.has('foo'));
    const { ts } = await single(t, [P, ['tracestate', 'foo=,bar=3']]);
    t.notOk(ts.has('foo'));
    t.notOk(ts.has('bar'));
  });

  // AdvancedTest
  const many = async (t: Test, headers: Headers): Promise<{ traceIds: Set<string>; parentIds: Set<string> }> => {
    const tps = (await makeRequest(t, headers, 3)).map((h) => traceparentOf(t, h));
    return { traceIds: new Set(tps.map((x) => x.traceId)), parentIds: new Set(tps.map((x) => x.parentId)) };
  };
  t.test('test_multiple_requests_with_valid_traceparent', async (t) => {
    const { traceIds, parentIds } = await many(t, [['traceparent', TP()]]);
    t.same([...traceIds], [ID]);
    t.equal(parentIds.size, 3);
  });
  t.test('test_multiple_requests_without_traceparent', async (t) => {
    t.equal((await many(t, [])).parentIds.size, 3);
  });
  t.test('test_multiple_requests_with_illegal_traceparent', async (t) => {
    const { traceIds, parentIds } = await many(t, [['traceparent', `00-${'0'.repeat(32)}-1234567890123456-01`]]);
    t.notOk(traceIds.has('0'.repeat(32)));
    t.equal(parentIds.size, 3);
  });

  // TraceContext2Test
  t.test('test_propagates_random_flag', async (t) => {
    const { tp } = await single(t, [['traceparent', TP('02')]]);
    t.equal(tp.traceId, ID);
    t.not(tp.parentId, '1234567890123456');
    t.equal(tp.flags & 2, 2, 'the random flag is set');
  });
});
