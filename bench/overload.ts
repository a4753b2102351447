import { connect } from 'node:net';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { startPropane, type Policy } from './servers.js';
import { median, percentile, runWrk, type WrkResult } from './wrk.js';

/**
 * A 4x overload of the session limit (docs/session-limits.md): `limit` keep-alive clients hold every permit and
 * measure their throughput and latency, first alone, then while 3 x `limit`
 * more clients (one connection per request) hammer the node and get 503s.
 * The flood's own latencies are the 503 answers' latencies.
 *
 *   node dist/bench/overload.js [--limit 50] [--rounds 3] [--duration 5] [--policy round_robin]
 */
const values = benchArgs({ limit: 50, rounds: 3, duration: 5, policy: 'round_robin', workers: 2 });
const { limit, rounds } = values;
const durationSeconds = values.duration;

/**
 * An open-loop probe beside the flood: every `everyMs` one fresh connection
 * sends a GET; the time from connect() to the end of the 503 (the server
 * closes) is one sample. Unlike wrk's closed loop, this is not throttled by
 * the flood's own queue.
 */
async function probe503(port: number, durationMs: number, everyMs: number): Promise<{ latencies: number[]; other: number }> {
  const latencies: number[] = [];
  let other = 0;
  const pending: Array<Promise<void>> = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    pending.push(
      new Promise<void>((resolve) => {
        const t0 = performance.now();
        const s = connect({ host: '127.0.0.1', port }, () => s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString('latin1')));
        s.on('error', () => {});
        s.setTimeout(10_000, () => s.destroy());
        s.once('close', () => {
          if (text.startsWith('HTTP/1.1 503') && text.endsWith('server busy\n')) latencies.push(performance.now() - t0);
          else other++;
          resolve();
        });
      }),
    );
    await sleep(everyMs);
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), other };
}

async function main(): Promise<string> {
  const node = await startPropane(values.workers, values.policy as Policy, ['--max-http-sessions', String(limit)]);
  const alone: WrkResult[] = [];
  const held: WrkResult[] = [];
  const flood: WrkResult[] = [];
  const probes: number[] = [];
  let probeOther = 0;
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
          await sleep(500);
          const b = runWrk({ port: node.port, connections: 3 * limit, durationSeconds, close: true });
          await sleep(500);
          const p = await probe503(node.port, (durationSeconds - 1) * 1000, 20);
          probes.push(...p.latencies);
          probeOther += p.other;
          flood.push(await b);
          held.push(await a);
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
    `The flood: median ${m(flood, (r) => r.requestsPerSec).toFixed(0)} answers/s, of which non-2xx (the 503s) ${flood.reduce((n, r) => n + r.non2xx, 0)} of ${flood.reduce((n, r) => n + r.requests, 0)}; **503 latency p50 ${m(flood, (r) => r.latencyMs.p50).toFixed(2)} ms, p99 ${m(flood, (r) => r.latencyMs.p99).toFixed(2)} ms** (closed loop: ${3 * limit} connections always waiting, so this is mostly queueing).`,
    '',
    `Open-loop probe during the flood (a fresh connection every 20 ms, connect to close): ${probes.length} 503s (${probeOther} other answers); **p50 ${percentile(probes.sort((x, y) => x - y), 50).toFixed(2)} ms, p99 ${percentile(probes, 99).toFixed(2)} ms**.`,
  ];
  return `${lines.join('\n')}\n\n<!-- json ${JSON.stringify({ alone, held, flood })} -->`;
}

process.stdout.write(`${await withLoadLock(main)}\n`);
