import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { benchArgs } from './args.js';
import { rawHead, startBaseline, startPropane, type Policy, type Running } from './servers.js';
import { median, runWrk, wrkArgs, type WrkResult } from './wrk.js';

/**
 * Propane against plain node:cluster, same handler, same worker count, same
 * scheduling policy, for keep-alive and for one connection per request
 * (bench/RESULTS.md). Four servers per policy, measured in interleaved
 * rounds (the order rotates every round so none always runs on a warmer
 * machine), medians and ratios:
 *
 * - same bytes (the bar): propane with its defaults against node:cluster
 *   whose handler writes the headers propane adds, checked byte for byte
 *   before timing, so the ratio measures propane's work, not header bytes;
 * - default vs bare: the same propane against the bare handler;
 * - identity and trace headers off vs bare: propane with
 *   observability.responseIdentityHeadersEnabled and
 *   tracePropagationEnabled false against the bare handler.
 *
 * It takes the load lock (/tmp/propane-load.lock) itself.
 *
 *   node dist/bench/http-ratio.js [--rounds 5] [--duration 5] [--connections 50] [--workers 2] [--policies none,round_robin] [--modes keepalive,close] [--propane-config file.json]
 */
const args = benchArgs({
  rounds: 5,
  duration: 5,
  connections: 50,
  workers: 2,
  policies: 'none,round_robin',
  modes: 'keepalive,close',
  /** A propane.json for the default-config side, e.g. with cluster.enabled; '' for the defaults. */
  'propane-config': '',
});
const { rounds, connections, workers } = args;
const durationSeconds = args.duration;
const propaneConfig = args['propane-config'];
const policies = args.policies.split(',') as Policy[];
const modes = args.modes.split(',') as Mode[];

type Mode = 'keepalive' | 'close';
type SideName = 'bare' | 'same' | 'propane' | 'quiet';
const SIDES: readonly SideName[] = ['bare', 'same', 'propane', 'quiet'];

interface Row {
  policy: Policy;
  mode: Mode;
  results: Record<SideName, WrkResult[]>;
}

async function measure(server: Running, mode: Mode): Promise<WrkResult> {
  const r = await runWrk({ port: server.port, connections, durationSeconds, close: mode === 'close' });
  if (r.non2xx > 0 || r.socketErrors > 0) process.stderr.write(`  warning: ${server.name} ${mode}: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors\n`);
  return r;
}

/** The headers propane's answer has and the bare handler's has not, with propane's values (their lengths never vary). */
async function addedHeaders(bare: Running, propane: Running): Promise<Record<string, string>> {
  const have = new Set((await rawHead(bare.port)).headers.map(([name]) => name.toLowerCase()));
  return Object.fromEntries((await rawHead(propane.port)).headers.filter(([name]) => !have.has(name.toLowerCase())));
}

/** Refuses to time anything unless both answers have the same header names and the same length. */
async function checkSameBytes(same: Running, propane: Running): Promise<number> {
  const [a, b] = [await rawHead(same.port), await rawHead(propane.port)];
  const names = (h: typeof a): string => h.headers.map(([n]) => n.toLowerCase()).sort().join(',');
  if (a.raw.length !== b.raw.length || names(a) !== names(b)) {
    throw new Error(`the same-bytes baseline does not send propane's bytes:\n${JSON.stringify(a.raw)}\n${JSON.stringify(b.raw)}`);
  }
  return b.raw.length;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const quietFile = join(tmpdir(), `propane-bench-quiet-${process.pid}.json`);
  writeFileSync(quietFile, JSON.stringify({ observability: { responseIdentityHeadersEnabled: false, tracePropagationEnabled: false } }));
  const bytes: Record<string, number> = {};
  try {
    for (const policy of policies) {
      const servers: Partial<Record<SideName, Running>> = {};
      try {
        servers.bare = await startBaseline(workers, policy);
        servers.propane = await startPropane(workers, policy, propaneConfig ? ['--config', propaneConfig] : [], 'default');
        servers.quiet = await startPropane(workers, policy, ['--config', quietFile], 'identity+trace off');
        servers.same = await startBaseline(workers, policy, { headers: await addedHeaders(servers.bare, servers.propane) });
        bytes[policy] = await checkSameBytes(servers.same, servers.propane);
        for (const mode of modes) {
          // Warm every server (JIT, connection pools) before anything is recorded.
          for (const side of SIDES) await runWrk({ port: servers[side]!.port, connections, durationSeconds: 1, close: mode === 'close' });
          const row: Row = { policy, mode, results: { bare: [], same: [], propane: [], quiet: [] } };
          for (let i = 0; i < rounds; i++) {
            const order = SIDES.map((_, k) => SIDES[(k + i) % SIDES.length]!);
            if (i % 2 === 1) order.reverse();
            for (const side of order) {
              const r = await measure(servers[side]!, mode);
              row.results[side].push(r);
              process.stderr.write(`  ${policy} ${mode} round ${i + 1}: ${servers[side]!.name} ${r.requestsPerSec.toFixed(0)} req/s p99 ${r.latencyMs.p99.toFixed(2)} ms\n`);
            }
          }
          rows.push(row);
        }
      } finally {
        for (const side of SIDES) await servers[side]?.stop();
      }
    }
  } finally {
    rmSync(quietFile, { force: true });
  }
  report(rows, bytes);
}

function report(rows: Row[], bytes: Record<string, number>): void {
  const bars = { keepalive: 0.97, close: 0.9 };
  const med = (r: WrkResult[]): number => median(r.map((x) => x.requestsPerSec));
  const ratio = (row: Row, a: SideName, b: SideName): { median: number; perRound: number[] } => ({
    median: med(row.results[a]) / med(row.results[b]),
    perRound: row.results[a].map((x, i) => x.requestsPerSec / row.results[b][i]!.requestsPerSec),
  });
  const lines = [
    `propane config: ${propaneConfig || 'defaults'}; wrk ${wrkArgs({ port: 0, connections, durationSeconds }).slice(0, 4).join(' ')} (close: plus -H 'Connection: close'), ${workers} workers, ${rounds} interleaved rounds, medians; response bytes, propane and the same-bytes baseline: ${JSON.stringify(bytes)}`,
    '',
    '| policy | mode | bare req/s | same-bytes req/s | propane req/s | propane, identity+trace off req/s | **same bytes** (bar) | default vs bare | identity+trace off vs bare |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const json = [];
  for (const r of rows) {
    const same = ratio(r, 'propane', 'same');
    const deflt = ratio(r, 'propane', 'bare');
    const quiet = ratio(r, 'quiet', 'bare');
    const bar = bars[r.mode];
    lines.push(
      `| ${r.policy} | ${r.mode === 'close' ? 'one connection per request' : 'keep-alive'} | ${med(r.results.bare).toFixed(0)} | ${med(r.results.same).toFixed(0)} | ${med(r.results.propane).toFixed(0)} | ${med(r.results.quiet).toFixed(0)} | **${same.median.toFixed(3)}** ${same.median >= bar ? '>=' : '<'} ${bar} | ${deflt.median.toFixed(3)} | ${quiet.median.toFixed(3)} |`,
    );
    json.push({ policy: r.policy, mode: r.mode, sameBytes: same, defaultVsBare: deflt, quietVsBare: quiet, medians: Object.fromEntries(SIDES.map((s) => [s, med(r.results[s])])), results: r.results });
  }
  process.stdout.write(`${lines.join('\n')}\n\n<!-- json ${JSON.stringify(json)} -->\n`);
}

await withLoadLock(main);
