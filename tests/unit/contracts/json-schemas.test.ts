import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { z } from 'zod';
import type { ClusterState } from '../../../contracts/cluster.js';
import { IPC_SCHEMA_VERSION, SupervisorToWorker, WorkerBoot } from '../../../contracts/ipc.js';
import { compileJsonSchema, type Check } from '../../../contracts/json-schema-check.js';
import { checkSupervisorToWorker, checkWorkerBoot } from '../../../contracts/worker-checks.js';
import { loadConfig } from '../../../shared/config/load.js';
import { ClusterStateKeeper } from '../../../supervisor/cluster-state.js';
import { bootPayload } from '../../../supervisor/fork.js';
import { JSON_SCHEMAS, renderJsonSchema, SCHEMA_DIR } from '../../helpers/json-schemas.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir(t);
const v = IPC_SCHEMA_VERSION;

for (const { file, schema } of JSON_SCHEMAS) {
  t.test(`contracts/schemas/${file} is what the zod schema generates`, async (t) => {
    t.equal(readFileSync(join(SCHEMA_DIR, file), 'utf8'), renderJsonSchema(schema), 'out of date: run `make schemas` and commit the result');
    t.doesNotThrow(() => compileJsonSchema(JSON.parse(renderJsonSchema(schema))), 'the worker’s interpreter knows every keyword in it');
  });
}

t.test('the interpreter refuses a keyword it does not implement, rather than ignoring it', async (t) => {
  t.throws(() => compileJsonSchema({ type: 'string', format: 'email' }), /unsupported format email/);
  t.throws(() => compileJsonSchema({ type: 'array', items: { type: 'integer' }, minItems: 1 }), /unsupported keyword minItems/);
  t.throws(() => compileJsonSchema({ type: 'object', properties: {} }), /strict/);
});

/** Boot payloads as the supervisor builds them, from configs that fill every optional corner. */
function boots(): unknown[] {
  const state = (members: boolean): ClusterState =>
    new ClusterStateKeeper().update({
      config: loadConfig({ cwd: dir, env: {}, flags: {} }).config,
      membership: members
        ? { observedNodes: 2, state: 'etcd_connected', changes: 1, members: [{ node_id: 'a', host: '10.0.0.1', port: 3000, ready: true }], store: { state: 'connected', endpoints: ['http://127.0.0.1:2379'], lease_seconds: 5, last_change_at: null } }
        : { observedNodes: 1, state: 'static', changes: 0 },
      membershipSource: members ? 'etcd' : 'static_config',
      shuttingDown: false,
      sessions: { http: 3, websocket: 1 },
      workers: [{ slot: 0, pid: 4101, state: 'ready' }, { slot: 1, pid: null, state: 'crash_loop' }],
    })!;
  const etcd = {
    cluster: { enabled: true, expectedNodes: 3, membership: { source: 'etcd', etcd: { endpoints: ['https://etcd.example:2379'], username: 'u', password: 'p', tls: { caFile: '/ca.pem' } } } },
    status: { token: 'a-status-token-of-32-characters!', port: 9100 },
    propane: { pidFile: '/run/propane.pid' },
    app: './app.js',
  };
  // TLS as the supervisor sends it: file paths only (the files themselves go over IPC, checked by the supervisor).
  const tls = {
    certFile: '/etc/propane/fullchain.pem',
    keyFile: '/etc/propane/privkey.pem',
    caFile: '/etc/propane/clients-ca.pem',
    requestClientCert: true,
    minVersion: 'TLSv1.3' as const,
    sni: { 'alpha.test': { certFile: '/a.pem', keyFile: '/a.key' }, '*.Beta.test': { certFile: '/b.pem', keyFile: '/b.key' } },
  };
  return [
    bootPayload(0, loadConfig({ cwd: dir, env: {}, flags: {} }).config, 3000, 'cluster', state(false)),
    bootPayload(3, loadConfig({ cwd: dir, env: {}, flags: etcd }).config, 0, 'supervisor', state(true)),
    bootPayload(1, { ...loadConfig({ cwd: dir, env: {}, flags: {} }).config, tls }, 3000, 'cluster', state(false)),
  ];
}

/** One of every message the supervisor sends; the test below fails when a type has none. */
const MESSAGES: Record<SupervisorToWorker['type'], unknown> = {
  heartbeat: { type: 'heartbeat', schema_version: v, seq: 7 },
  lease_grant: { type: 'lease_grant', schema_version: v, kind: 'http', seq: 1, count: 16 },
  lease_reclaim: { type: 'lease_reclaim', schema_version: v, kind: 'websocket', seq: 2 },
  limit_reached: { type: 'limit_reached', schema_version: v, kind: 'http', generation: 3, reached: true },
  cluster_state: { type: 'cluster_state', schema_version: v, state: (boots()[1] as { cluster_state: unknown }).cluster_state },
  drain: { type: 'drain', schema_version: v, reason: 'reload', grace_ms: 10_000, websocket_close_code: 1012 },
  listener_closed_ack: { type: 'listener_closed_ack', schema_version: v, seq: 3 },
  sessions_query: { type: 'sessions_query', schema_version: v, seq: 4 },
  tls_material: {
    type: 'tls_material',
    schema_version: v,
    default: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n' },
    sni: [{ server_name: '*.alpha.test', cert: 'C', key: 'K' }],
    ca: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n',
    ticket_keys: { generation: 2, keys: Buffer.alloc(48, 7).toString('base64') },
  },
  tls_ticket_keys: { type: 'tls_ticket_keys', schema_version: v, ticket_keys: { generation: 3, keys: Buffer.alloc(48, 9).toString('base64') } },
  listener_socket: { type: 'listener_socket', schema_version: v, socket: 2, adopted: true },
  listener_release: { type: 'listener_release', schema_version: v, socket: 2 },
};

t.test('every message type the supervisor sends has a fixture here', async (t) => {
  const types = SupervisorToWorker.options.map((o) => o.shape.type.value);
  t.same(Object.keys(MESSAGES).sort(), [...types].sort());
});

const cases: Array<{ name: string; zod: z.ZodType; check: Check<unknown>; fixtures: unknown[] }> = [
  { name: 'the boot payload', zod: WorkerBoot, check: checkWorkerBoot, fixtures: boots() },
  { name: 'supervisor messages', zod: SupervisorToWorker, check: checkSupervisorToWorker, fixtures: Object.values(MESSAGES) },
];

for (const c of cases) {
  t.test(`${c.name}: the worker's check accepts what the supervisor sends, as zod does`, async (t) => {
    for (const f of c.fixtures) {
      t.equal(c.zod.safeParse(f).success, true, 'zod accepts it');
      t.same(c.check(f), { ok: true, value: f }, 'the worker accepts it, unchanged');
    }
  });

  t.test(`${c.name}: over seeded mutations, the worker never accepts what zod rejects, and rejects what zod accepts only where zod fills in a default`, async (t) => {
    const random = mulberry32(0x5eed);
    const tally = { both_accept: 0, both_reject: 0, default_filled: 0 };
    for (let i = 0; i < 6000; i++) {
      const base = c.fixtures[i % c.fixtures.length];
      const m = mutate(base, random);
      const zod = c.zod.safeParse(m.value);
      const ours = c.check(m.value);
      if (ours.ok && !zod.success) t.fail(`accepted what zod rejects: ${m.what}`);
      else if (!ours.ok && zod.success) {
        if (onlyFilledIn(m.value, zod.data) && c.check(zod.data).ok) tally.default_filled++;
        else t.fail(`rejected what zod accepts (${ours.issue}): ${m.what}`);
      } else tally[ours.ok ? 'both_accept' : 'both_reject']++;
    }
    t.ok(tally.both_accept > 100 && tally.both_reject > 2000, `the mutations probe both sides: ${JSON.stringify(tally)}`);
  });
}

t.test('URLs: scheme and protocol as zod checks them', async (t) => {
  const check = compileJsonSchema<string>({ type: 'string', format: 'uri', 'x-url-protocol': '^https?$' });
  for (const [url, ok] of [['http://a:2379', true], [' HTTPS://b ', true], ['ftp://c', false], ['http:/d', false], ['http:e', false], ['http://', false], ['', false]] as const) {
    t.equal(check(url).ok, ok, JSON.stringify(url));
  }
});

t.test('keys that name Object.prototype members are unknown keys, not schema lookups', async (t) => {
  const check = compileJsonSchema({ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: false });
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    t.match(check(JSON.parse(`{"a":1,"${key}":{}}`)), { ok: false, issue: `${key}: unknown key` });
  }
});

// ---- the mutation fuzz ----

type Path = Array<string | number>;
interface Mutant {
  value: unknown;
  what: string;
}

const POOL: unknown[] = [null, undefined, true, false, 0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 65_535, 65_536, 1001, 1012, 1000, NaN, Infinity, '', ' ', 'x', 'http', 'websocket', 'reload', 'none', 'debug', 'heartbeat', 'drain', 'cluster_state', 'http://a:1', ' https://b ', 'ftp://c', 'http:d', '/p', 'p', '__proto__', [], {}, [1], ['http://a'], { type: 'heartbeat' }];

function mutate(base: unknown, random: () => number): Mutant {
  let value = structuredClone(base);
  const what: string[] = [];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const paths = allPaths(value);
    const path = paths[Math.floor(random() * paths.length)]!;
    const parent = path.length === 0 ? undefined : (valueAt(value, path.slice(0, -1)) as Record<string | number, unknown>);
    const key = path.at(-1);
    const old = valueAt(value, path);
    const op = Math.floor(random() * 5);
    const pick = (): unknown => structuredClone(POOL[Math.floor(random() * POOL.length)]);
    let next: unknown = old;
    if (op === 0) next = pick();
    else if (op === 1) next = tweak(old, random);
    else if (op === 2 && parent && key !== undefined) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      what.push(`delete ${path.join('.')}`);
      continue;
    } else if (op === 3 && typeof old === 'object' && old !== null && !Array.isArray(old)) {
      const extra = ['extra', '__proto__', 'constructor', 'cmd'][Math.floor(random() * 4)]!;
      Object.defineProperty(old, extra, { value: pick(), enumerable: true, writable: true, configurable: true });
      what.push(`add ${[...path, extra].join('.')}`);
      continue;
    } else next = undefined;
    what.push(`${path.join('.') || '(root)'} = ${String(JSON.stringify(next))}`);
    if (parent && key !== undefined) parent[key] = next;
    else value = next;
  }
  return { value, what: what.join('; ') };
}

/** Whether zod's output is the input with missing keys filled in (its defaults), and nothing else changed. */
function onlyFilledIn(input: unknown, output: unknown): boolean {
  if (typeof input !== 'object' || input === null || typeof output !== 'object' || output === null) return Object.is(input, output);
  if (Array.isArray(input) !== Array.isArray(output)) return false;
  const out = output as Record<string, unknown>;
  return Object.entries(input).every(([k, v]) => v === undefined || (Object.hasOwn(out, k) && onlyFilledIn(v, out[k]))) && (!Array.isArray(input) || input.length === (output as unknown[]).length);
}

function tweak(v: unknown, random: () => number): unknown {
  const r = random();
  if (typeof v === 'number') return [v + 1, v - 1, -v, v + 0.5, v * 2 ** 30][Math.floor(r * 5)];
  if (typeof v === 'string') return [`${v} `, v.toUpperCase(), v.slice(1), `${v}\n`, `x${v}`][Math.floor(r * 5)];
  if (typeof v === 'boolean') return r < 0.5 ? !v : String(v);
  if (Array.isArray(v)) return r < 0.5 ? [] : [...v, ...v];
  return v === null ? 0 : null;
}

function allPaths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (typeof v === 'object' && v !== null) for (const [k, child] of Object.entries(v)) out.push(...allPaths(child, [...at, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function valueAt(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string | number, unknown>)[k] : undefined), v);
}

/** A small seeded PRNG, so a failure reproduces. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
