import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { httpGet, rawConnect, readUntil, isCompleteResponse, statusOf } from '../helpers/http.js';
import { ROOT, runCli, startPropane, type PropaneNode } from '../helpers/propane.js';

/** The fixture of issue 6: every contract, checked here against a running node. */
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

function parseRaw(text: string): Reply {
  const end = text.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: statusOf(text), headers, body: text.slice(end + 4) };
}

async function sendRaw(port: number, bytes: string): Promise<Reply> {
  const s = await rawConnect(port);
  try {
    let closed = false;
    s.once('close', () => (closed = true));
    s.write(bytes);
    const text = await readUntil(s, isCompleteResponse, 8_000);
    await readUntil(s, () => false, 4_000);
    return { ...parseRaw(text), closed };
  } finally {
    s.destroy();
  }
}

async function runWebSocket(port: number, c: Contract): Promise<{ closeCode: number | null; pings: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${c.request.path ?? '/ws'}`, { autoPong: c.request.auto_pong ?? true });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    if (c.request.send_bytes !== undefined) ws.send(Buffer.alloc(c.request.send_bytes, 1));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), c.request.wait_ms ?? 5_000)));
    const closeCode = await Promise.race([closed, waited]);
    clearTimeout(timer);
    return { closeCode, pings };
  } finally {
    ws.terminate();
  }
}

async function runConfig(c: Contract): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'propane-i6-'));
  try {
    const args = ['config', '--json'];
    if (c.request.config) {
      writeFileSync(join(dir, 'propane.json'), JSON.stringify(c.request.config));
      args.push('--config', join(dir, 'propane.json'));
    }
    return await runCli(args, { env: c.request.env ?? {}, cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
        const out = await runConfig(c);
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
      if (c.kind === 'raw') reply = await sendRaw(node.port, expand(c.request.raw!));
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
