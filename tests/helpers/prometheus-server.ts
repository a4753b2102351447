import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, type ToolTest } from './debian-tools.js';
import { httpGet } from './http.js';
import { killOnExit } from './processes.js';
import { within } from './wait.js';

/**
 * Debian's Prometheus for the deploy/prometheus tests: promtool runs, and a
 * real server on 127.0.0.1 with a port of its own choosing (never 9090,
 * which another Prometheus may hold), a temporary data dir, and a generated
 * config. Teardown stops it and removes the dir.
 */

/** True when promtool and prometheus (Debian's prometheus package) are installed; else a loud skip, or a failure on CI. */
export function requirePrometheus(t: ToolTest): boolean {
  return requireTools(t, [['promtool', 'prometheus'], ['prometheus', 'prometheus']], 'the Prometheus tests');
}

/** `promtool <args>`, with `stdin` on its standard input; bounded. */
export function promtool(args: string[], stdin?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', input: stdin, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus; `port` is its HTTP API. */
export class PrometheusServer {
  log = '';
  port = 0;

  async query(expr: string): Promise<PromSample[]> {
    const reply = await httpGet(this.port, `/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = JSON.parse(reply.body) as { status: string; error?: string; data: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? reply.body}`);
    return body.data.result;
  }

  async alerts(): Promise<PromAlert[]> {
    const reply = await httpGet(this.port, '/api/v1/alerts');
    return (JSON.parse(reply.body) as { data: { alerts: PromAlert[] } }).data.alerts;
  }

  /** Each target's health and last scrape error, for failure messages. */
  async targets(): Promise<string> {
    return (await httpGet(this.port, '/api/v1/targets')).body;
  }
}

const LISTENING = /msg="Listening on" address=127\.0\.0\.1:(\d+)/;

/** Starts Prometheus with `config` (YAML text; relative paths are relative to a temp dir) for `t`. */
export async function startPrometheus(t: ToolTest, config: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'propane-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const server = new PrometheusServer();
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    '--storage.tsdb.retention.time=1h',
    '--web.listen-address=127.0.0.1:0',
    '--log.level=info',
  ];
  const proc = killOnExit(spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(async () => {
    proc.kill('SIGTERM');
    if (!(await within(exited, 10_000))) {
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let listening!: (port: number) => void;
  const port = new Promise<number>((resolve) => (listening = resolve));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    server.log = (server.log + chunk).slice(-8000);
    const m = LISTENING.exec(server.log);
    if (m) listening(Number(m[1]));
  });
  const found = await within(Promise.race([port, exited.then(() => -1)]), 20_000);
  if (found === null || found < 0) throw new Error(`prometheus did not start listening: ${server.log}`);
  server.port = found;
  return server;
}
