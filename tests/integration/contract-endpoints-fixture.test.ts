import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { runCli } from '../helpers/cli.js';
import { httpGet, sendRaw } from '../helpers/http.js';
import { ROOT } from '../helpers/paths.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { within } from '../helpers/wait.js';

/** contracts/fixtures/endpoints.json (docs/endpoints.md): every contract, checked here against a running node. */
interface Fixture {
  token: string;
  nodes: Record<string, { workers: number; args?: string[]; config: Record<string, unknown> }>;
  contracts: Contract[];
}

type Expected = string | number | boolean | null | { $re: string };

interface Contract {
  id: string;
  kind: 'http' | 'raw' | 'websocket' | 'status_tcp' | 'config';
  node?: string;
  request: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    raw?: string;
    send_bytes?: number;
    auto_pong?: boolean;
    wait_ms?: number;
    env?: Record<string, string>;
    config?: Record<string, unknown>;
  };
  expect: {
    status?: number;
    headers?: Record<string, Expected>;
    headers_absent?: string[];
    body?: string;
    fields?: Record<string, Expected>;
    closes?: boolean;
    close_code?: number;
    pings_at_least?: number;
    open?: boolean;
    exit_code?: number;
    stderr?: Expected;
  };
}

const fixture = JSON.parse(readFileSync(join(ROOT, 'contracts/fixtures/endpoints.json'), 'utf8')) as Fixture;

/** `{{token}}` and `{{N x}}` (N copies of x) in fixture strings. */
function expand(text: string): string {
  return text.replace(/\{\{token\}\}/g, fixture.token).replace(/\{\{(\d+) (.)\}\}/g, (_m, n: string, ch: string) => ch.repeat(Number(n)));
}

function expandHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, expand(v)]));
}

function matches(actual: unknown, want: Expected): boolean {
  if (want !== null && typeof want === 'object') return new RegExp(want.$re, 's').test(String(actual));
  return actual === want;
}

function at(body: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), body);
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  closed?: boolean;
}

async function runWebSocket(port: number, c: Contract): Promise<{ closeCode: number | null; pings: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${c.request.path ?? '/ws'}`, { autoPong: c.request.auto_pong ?? true });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    if (c.request.send_bytes !== undefined) ws.send(Buffer.alloc(c.request.send_bytes, 1));
    const closeCode = await within(closed, c.request.wait_ms ?? 5_000);
    return { closeCode, pings };
  } finally {
    ws.terminate();
  }
}

t.test('the running system honours every entry of contracts/fixtures/endpoints.json', async (t) => {
  t.ok(fixture.contracts.length >= 30, `${fixture.contracts.length} contracts`);
  t.equal(new Set(fixture.contracts.map((c) => c.id)).size, fixture.contracts.length, 'contract ids are unique');

  const nodes = new Map<string, { node: PropaneNode; statusPort: number | null }>();
  const nodeFor = async (name: string) => {
    const known = nodes.get(name);
    if (known) return known;
    const spec = fixture.nodes[name];
    if (!spec) throw new Error(`contract names an unknown node ${name}`);
    const node = await startPropane(t, { workers: spec.workers, args: spec.args ?? [], config: spec.config });
    const started = await node.waitForEvent('supervisor_started');
    const entry = { node, statusPort: typeof started.status_port === 'number' ? started.status_port : null };
    nodes.set(name, entry);
    return entry;
  };

  for (const c of fixture.contracts) {
    t.test(c.id, async (t) => {
      const e = c.expect;
      if (c.kind === 'config') {
        const out = await runCli(['config', '--json'], { env: c.request.env ?? {}, config: c.request.config });
        t.equal(out.code, e.exit_code, `exit code (${out.stderr.trim()})`);
        if (e.stderr !== undefined) t.ok(matches(out.stderr, e.stderr), `stderr matches ${JSON.stringify(e.stderr)}: ${out.stderr}`);
        if (e.fields) {
          const body = JSON.parse(out.stdout) as unknown;
          for (const [path, want] of Object.entries(e.fields)) t.ok(matches(at(body, path), want), `${path} = ${JSON.stringify(at(body, path))}, want ${JSON.stringify(want)}`);
        }
        return;
      }
      const { node, statusPort } = await nodeFor(c.node!);
      if (c.kind === 'websocket') {
        const got = await runWebSocket(node.port, c);
        if (e.close_code !== undefined) t.equal(got.closeCode, e.close_code, 'close code');
        if (e.open) t.equal(got.closeCode, null, 'still open');
        if (e.pings_at_least !== undefined) t.ok(got.pings >= e.pings_at_least, `${got.pings} pings`);
        return;
      }
      let reply: Reply;
      if (c.kind === 'raw') reply = await sendRaw(node.port, expand(c.request.raw!), 4_000);
      else {
        const port = c.kind === 'status_tcp' ? statusPort : node.port;
        if (port === null) throw new Error(`node ${c.node} has no TCP status listener`);
        reply = await httpGet(port, c.request.path!, { method: c.request.method ?? 'GET', headers: expandHeaders(c.request.headers) });
      }
      if (e.status !== undefined) t.equal(reply.status, e.status, 'status');
      for (const [name, want] of Object.entries(e.headers ?? {})) t.ok(matches(reply.headers[name], want), `${name}: ${String(reply.headers[name])}, want ${JSON.stringify(want)}`);
      for (const name of e.headers_absent ?? []) t.equal(reply.headers[name], undefined, `no ${name}`);
      if (e.body !== undefined) t.equal(reply.body, e.body, 'body');
      if (e.fields) {
        const body = JSON.parse(reply.body) as unknown;
        for (const [path, want] of Object.entries(e.fields)) t.ok(matches(at(body, path), want), `${path} = ${JSON.stringify(at(body, path))}, want ${JSON.stringify(want)}`);
      }
      if (e.closes) t.ok(reply.closed, 'the worker closed the connection');
    });
  }
});
