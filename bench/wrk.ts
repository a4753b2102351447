import { spawn } from 'node:child_process';

export const WRK = '/usr/bin/wrk';

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  latencyMs: { p50: number; p90: number; p99: number };
}

export interface WrkOptions {
  port: number;
  path?: string;
  connections: number;
  durationSeconds: number;
  threads?: number;
  /** One connection per request: wrk sends `Connection: close` and reconnects each time. */
  close?: boolean;
  /** More request headers, `Name: value` each. */
  headers?: readonly string[];
  /** HTTPS. */
  tls?: boolean;
}

export function wrkArgs(o: WrkOptions): string[] {
  const args = [`-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${o.durationSeconds}s`, '--latency'];
  if (o.close) args.push('-H', 'Connection: close');
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(`${o.tls ? 'https' : 'http'}://127.0.0.1:${o.port}${o.path ?? '/'}`);
  return args;
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, wrkArgs(o), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${String(code)}:\n${out}`));
      try {
        resolve(parseWrk(out));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (!rps || !total) throw new Error(`cannot read wrk output:\n${out}`);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99') },
  };
}

/** The p-th percentile of ascending `sorted` (nearest rank); NaN when it is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The order of `sides` in round `i`: rotated every round and reversed every other, so none always runs on a warmer machine. */
export function roundOrder<T>(sides: readonly T[], i: number): T[] {
  const order = sides.map((_, k) => sides[(k + i) % sides.length]!);
  return i % 2 === 1 ? order.reverse() : order;
}
