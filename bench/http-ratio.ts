import { withLoadLock } from '../tests/helpers/load-lock.js';
import { benchArgs } from './args.js';
import { startBaseline, startPropane, type Policy, type Running } from './servers.js';
import { median, runWrk, wrkArgs, type WrkResult } from './wrk.js';

/**
 * Propane against plain node:cluster, same handler, same worker count, same
 * scheduling policy, interleaved rounds (the order flips every round so
 * neither side always runs on a warmer machine), medians and ratios, for
 * keep-alive and for one connection per request (bench/RESULTS.md).
 * It takes the load lock (/tmp/propane-load.lock) itself.
 *
 *   node dist/bench/http-ratio.js [--rounds 5] [--duration 5] [--connections 50] [--workers 2] [--policies round_robin,none] [--modes keepalive,close] [--propane-config file.json]
 */
const args = benchArgs({
  rounds: 5,
  duration: 5,
  connections: 50,
  workers: 2,
  policies: 'round_robin,none',
  modes: 'keepalive,close',
  /** A propane.json for propane's side, e.g. to measure with cluster.emitHeaders false; '' for the defaults. */
  'propane-config': '',
});
const { rounds, connections, workers } = args;
const durationSeconds = args.duration;
const propaneConfig = args['propane-config'];
const policies = args.policies.split(',') as Policy[];
const modes = args.modes.split(',') as Array<'keepalive' | 'close'>;

interface Row {
  policy: Policy;
  mode: 'keepalive' | 'close';
  baseline: WrkResult[];
  propane: WrkResult[];
}

async function measure(server: Running, mode: 'keepalive' | 'close'): Promise<WrkResult> {
  const r = await runWrk({ port: server.port, connections, durationSeconds, close: mode === 'close' });
  if (r.non2xx > 0 || r.socketErrors > 0) process.stderr.write(`  warning: ${server.name} ${mode}: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors\n`);
  return r;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const policy of policies) {
    const baseline = await startBaseline(workers, policy);
    const propane = await startPropane(workers, policy, propaneConfig ? ['--config', propaneConfig] : []);
    try {
      for (const mode of modes) {
        // Warm both (JIT, connection pools) before anything is recorded.
        await runWrk({ port: baseline.port, connections, durationSeconds: 1, close: mode === 'close' });
        await runWrk({ port: propane.port, connections, durationSeconds: 1, close: mode === 'close' });
        const row: Row = { policy, mode, baseline: [], propane: [] };
        for (let i = 0; i < rounds; i++) {
          const order = i % 2 === 0 ? ([baseline, propane] as const) : ([propane, baseline] as const);
          for (const server of order) {
            const r = await measure(server, mode);
            (server === baseline ? row.baseline : row.propane).push(r);
            process.stderr.write(`  ${policy} ${mode} round ${i + 1}: ${server.name} ${r.requestsPerSec.toFixed(0)} req/s p99 ${r.latencyMs.p99.toFixed(2)} ms\n`);
          }
        }
        rows.push(row);
      }
    } finally {
      await propane.stop();
      await baseline.stop();
    }
  }
  report(rows);
}

function report(rows: Row[]): void {
  const bars = { keepalive: 0.97, close: 0.9 };
  const lines = [
    `propane config: ${propaneConfig || 'defaults'}; wrk ${wrkArgs({ port: 0, connections, durationSeconds }).slice(0, 4).join(' ')} (close: plus -H 'Connection: close'), ${workers} workers, ${rounds} interleaved rounds, medians`,
    '',
    '| policy | mode | node:cluster req/s | propane req/s | ratio | bar | node:cluster p99 ms | propane p99 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const json = [];
  for (const r of rows) {
    const b = median(r.baseline.map((x) => x.requestsPerSec));
    const p = median(r.propane.map((x) => x.requestsPerSec));
    const ratio = p / b;
    const bar = bars[r.mode];
    const perRound = r.propane.map((x, i) => x.requestsPerSec / r.baseline[i]!.requestsPerSec);
    lines.push(
      `| ${r.policy} | ${r.mode === 'close' ? 'one connection per request' : 'keep-alive'} | ${b.toFixed(0)} | ${p.toFixed(0)} | **${ratio.toFixed(3)}** | ${ratio >= bar ? '>=' : '<'} ${bar} | ${median(r.baseline.map((x) => x.latencyMs.p99)).toFixed(2)} | ${median(r.propane.map((x) => x.latencyMs.p99)).toFixed(2)} |`,
    );
    json.push({ policy: r.policy, mode: r.mode, baselineMedian: b, propaneMedian: p, ratio, perRoundRatios: perRound, baseline: r.baseline, propane: r.propane });
  }
  process.stdout.write(`${lines.join('\n')}\n\n<!-- json ${JSON.stringify(json)} -->\n`);
}

await withLoadLock(main);
