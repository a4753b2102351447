import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCertificates } from '../tests/helpers/certificates.js';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { benchArgs } from './args.js';
import { addedHeaders, checkSameBytes, startBaseline, startPropane, type Policy, type Running } from './servers.js';
import { median, roundOrder, runWrk } from './wrk.js';

/**
 * HTTPS: propane terminating TLS in its workers against plain node:cluster
 * workers running https.createServer with the same handler, the same
 * certificate, the same worker count and scheduling policy, both sharing
 * session-ticket keys across workers (bench/RESULTS.md, "TLS"). Three
 * servers per policy, measured in interleaved rounds as http-ratio.ts does:
 * the bar compares propane with node:cluster writing the same bytes (the
 * headers propane adds, checked before timing); the bare handler is beside it.
 *
 * - keepalive: wrk over https, `connections` keep-alive connections;
 * - resume: new connections, each resuming the session of the one before
 *   (tls-connections.ts checks isSessionReused on every one);
 * - full: new connections, each a full handshake (reported, no bar).
 *
 * Certificates come from the openssl command line (an ECDSA P-256 server
 * certificate, certbot's default key type). It takes the load lock itself.
 *
 *   node dist/bench/tls-ratio.js [--rounds 5] [--duration 5] [--connections 50] [--clients 8] [--workers 2] [--policies none] [--modes keepalive,resume,full]
 */
const args = benchArgs({ rounds: 5, duration: 5, connections: 50, clients: 8, workers: 2, policies: 'none', modes: 'keepalive,resume,full' });
const { rounds, connections, clients, workers } = args;
const policies = args.policies.split(',') as Policy[];
const modes = args.modes.split(',') as Mode[];
const CLIENT = join(fileURLToPath(new URL('.', import.meta.url)), 'tls-connections.js');

type Mode = 'keepalive' | 'resume' | 'full';
type SideName = 'bare' | 'same' | 'propane';
const SIDES: readonly SideName[] = ['bare', 'same', 'propane'];

interface Sample {
  perSec: number;
  /** Of new connections, the share that resumed a session. */
  resumedShare: number | null;
  failures: number;
}

interface Row {
  policy: Policy;
  mode: Mode;
  results: Record<SideName, Sample[]>;
}

function newConnections(port: number, ca: string, mode: 'resume' | 'full', seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, String(port), ca, mode, String(clients), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`tls-connections exited ${String(code)}`));
      const r = JSON.parse(out) as { connections: number; resumed: number; non200: number; errors: number; perSec: number };
      resolve({ perSec: r.perSec, resumedShare: r.connections > 0 ? r.resumed / r.connections : 0, failures: r.non200 + r.errors });
    });
  });
}

async function measure(server: Running, mode: Mode, ca: string, seconds = args.duration): Promise<Sample> {
  let s: Sample;
  if (mode === 'keepalive') {
    const r = await runWrk({ port: server.port, connections, durationSeconds: seconds, tls: true });
    s = { perSec: r.requestsPerSec, resumedShare: null, failures: r.non2xx + r.socketErrors };
  } else {
    s = await newConnections(server.port, ca, mode, seconds);
  }
  if (s.failures > 0) process.stderr.write(`  warning: ${server.name} ${mode}: ${s.failures} failed\n`);
  return s;
}

async function main(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const certs = makeCertificates({ plan: () => {}, fail: (msg) => Promise.reject(new Error(msg)), teardown: (fn) => void cleanups.push(fn) });
  const tls = { cert: certs.server.cert, key: certs.server.key };
  const config = join(certs.dir, 'propane-tls.json');
  writeFileSync(config, JSON.stringify({ tls: { certFile: tls.cert, keyFile: tls.key } }));
  const ca = certs.ca;
  const caPem = readFileSync(ca, 'utf8');
  const rows: Row[] = [];
  const bytes: Record<string, number> = {};
  try {
    for (const policy of policies) {
      const servers: Partial<Record<SideName, Running>> = {};
      try {
        servers.bare = await startBaseline(workers, policy, { tls });
        servers.propane = await startPropane(workers, policy, ['--config', config], { label: 'https' });
        servers.same = await startBaseline(workers, policy, { headers: await addedHeaders(servers.bare, servers.propane, caPem), tls });
        bytes[policy] = await checkSameBytes(servers.same, servers.propane, caPem);
        for (const mode of modes) {
          for (const side of SIDES) await measure(servers[side]!, mode, ca, 1);
          const row: Row = { policy, mode, results: { bare: [], same: [], propane: [] } };
          for (let i = 0; i < rounds; i++) {
            for (const side of roundOrder(SIDES, i)) {
              const r = await measure(servers[side]!, mode, ca);
              row.results[side].push(r);
              process.stderr.write(`  ${policy} ${mode} round ${i + 1}: ${servers[side]!.name} ${r.perSec.toFixed(0)}/s${r.resumedShare === null ? '' : ` resumed ${(r.resumedShare * 100).toFixed(1)}%`}\n`);
            }
          }
          rows.push(row);
        }
      } finally {
        for (const side of SIDES) await servers[side]?.stop();
      }
    }
  } finally {
    for (const fn of cleanups) await fn();
  }
  report(rows, bytes);
}

function report(rows: Row[], bytes: Record<string, number>): void {
  const bars: Record<Mode, number | null> = { keepalive: 0.95, resume: 0.95, full: null };
  const what: Record<Mode, string> = { keepalive: 'keep-alive (req/s)', resume: 'new connections, resumed (conn/s)', full: 'new connections, full handshakes (conn/s)' };
  const med = (r: Sample[]): number => median(r.map((x) => x.perSec));
  const share = (r: Sample[]): string => (r[0]?.resumedShare === null ? '' : ` (${(Math.min(...r.map((x) => x.resumedShare ?? 0)) * 100).toFixed(1)}% resumed at least)`);
  const lines = [
    `${workers} workers, ${rounds} interleaved rounds of ${args.duration} s, medians; keep-alive: wrk -t1 -c${connections} https; new connections: ${clients} client loops (bench/tls-connections.ts); response bytes, propane and the same-bytes baseline: ${JSON.stringify(bytes)}`,
    '',
    '| policy | mode | bare https | same-bytes https | propane | **same bytes** | default vs bare |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const json = [];
  for (const r of rows) {
    const same = med(r.results.propane) / med(r.results.same);
    const bare = med(r.results.propane) / med(r.results.bare);
    const bar = bars[r.mode];
    const verdict = bar === null ? '(reported)' : `${same >= bar ? '>=' : '<'} ${bar}`;
    lines.push(`| ${r.policy} | ${what[r.mode]} | ${med(r.results.bare).toFixed(0)}${share(r.results.bare)} | ${med(r.results.same).toFixed(0)}${share(r.results.same)} | ${med(r.results.propane).toFixed(0)}${share(r.results.propane)} | **${same.toFixed(3)}** ${verdict} | ${bare.toFixed(3)} |`);
    const perRound = r.results.propane.map((x, i) => x.perSec / r.results.same[i]!.perSec);
    json.push({ policy: r.policy, mode: r.mode, sameBytes: same, perRound, defaultVsBare: bare, results: r.results });
  }
  process.stdout.write(`${lines.join('\n')}\n\n<!-- json ${JSON.stringify(json)} -->\n`);
}

await withLoadLock(main);
