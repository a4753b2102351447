import { parseArgs } from 'node:util';
import { withLoadLock } from './load-lock.js';
import { startPropane, type Policy } from './servers.js';
import { median, runWrk, type WrkResult } from './wrk.js';

/**
 * A 4x overload (issue 5): `limit` keep-alive clients hold every permit and
 * measure their throughput and latency, first alone, then while 3 x `limit`
 * more clients (one connection per request) hammer the node and get 503s.
 * The flood's own latencies are the 503 answers' latencies.
 *
 *   node dist/bench/overload.js [--limit 50] [--rounds 3] [--duration 5] [--policy round_robin]
 */
const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    policy: { type: 'string', default: 'round_robin' },
    workers: { type: 'string', default: '2' },
  },
});
const limit = Number(values.limit);
const rounds = Number(values.rounds);
const durationSeconds = Number(values.duration);

async function main(): Promise<string> {
  const node = await startPropane(Number(values.workers), values.policy as Policy, ['--max-http-sessions', String(limit)]);
  const alone: WrkResult[] = [];
  const held: WrkResult[] = [];
  const flood: WrkResult[] = [];
  try {
    await runWrk({ port: node.port, connections: limit, durationSeconds: 1 });
    for (let i = 0; i < rounds; i++) {
      const phases = i % 2 === 0 ? (['alone', 'overload'] as const) : (['overload', 'alone'] as const);
      for (const phase of phases) {
        if (phase === 'alone') {
          alone.push(await runWrk({ port: node.port, connections: limit, durationSeconds }));
        } else {
          // The flood starts once the keep-alive clients hold every permit, and ends before they do.
          const a = runWrk({ port: node.port, connections: limit, durationSeconds: durationSeconds + 1 });
          await new Promise((r) => setTimeout(r, 500));
          const b = await runWrk({ port: node.port, connections: 3 * limit, durationSeconds, close: true });
          held.push(await a);
          flood.push(b);
        }
        process.stderr.write(`  round ${i + 1} ${phase} done\n`);
      }
    }
  } finally {
    await node.stop();
  }
  const m = (rs: WrkResult[], f: (r: WrkResult) => number): number => median(rs.map(f));
  const lines = [
    `propane, ${values.workers} workers, ${values.policy}, --max-http-sessions ${limit}; wrk -t1 -c${limit} keep-alive (admitted) alone vs beside wrk -t1 -c${3 * limit} -H 'Connection: close' (the flood); ${rounds} interleaved rounds, medians`,
    '',
    '| measure | admitted alone | admitted under 4x overload | ratio |',
    '| --- | ---: | ---: | ---: |',
    `| req/s | ${m(alone, (r) => r.requestsPerSec).toFixed(0)} | ${m(held, (r) => r.requestsPerSec).toFixed(0)} | ${(m(held, (r) => r.requestsPerSec) / m(alone, (r) => r.requestsPerSec)).toFixed(3)} |`,
    `| p50 ms | ${m(alone, (r) => r.latencyMs.p50).toFixed(2)} | ${m(held, (r) => r.latencyMs.p50).toFixed(2)} | ${(m(held, (r) => r.latencyMs.p50) / m(alone, (r) => r.latencyMs.p50)).toFixed(2)} |`,
    `| p99 ms | ${m(alone, (r) => r.latencyMs.p99).toFixed(2)} | ${m(held, (r) => r.latencyMs.p99).toFixed(2)} | ${(m(held, (r) => r.latencyMs.p99) / m(alone, (r) => r.latencyMs.p99)).toFixed(2)} |`,
    `| non-2xx seen by the admitted clients | ${alone.reduce((n, r) => n + r.non2xx, 0)} | ${held.reduce((n, r) => n + r.non2xx, 0)} | |`,
    '',
    `The flood: median ${m(flood, (r) => r.requestsPerSec).toFixed(0)} answers/s, of which non-2xx (the 503s) ${flood.reduce((n, r) => n + r.non2xx, 0)} of ${flood.reduce((n, r) => n + r.requests, 0)}; **503 latency p50 ${m(flood, (r) => r.latencyMs.p50).toFixed(2)} ms, p99 ${m(flood, (r) => r.latencyMs.p99).toFixed(2)} ms**.`,
  ];
  return `${lines.join('\n')}\n\n<!-- json ${JSON.stringify({ alone, held, flood })} -->`;
}

process.stdout.write(`${await withLoadLock(main)}\n`);
