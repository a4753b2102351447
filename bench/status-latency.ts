import type { StatusPayload } from '../contracts/status.js';
import { callStatusSocket } from '../supervisor/status-client.js';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { startPropane, type Policy } from './servers.js';
import { percentile, runWrk } from './wrk.js';

/**
 * The status socket answers within milliseconds while the workers are
 * saturated (bar: p99 under 10 ms; docs/observability.md). wrk saturates the
 * workers; meanwhile GET /status is sent one at a time, every 10 ms. Each
 * answer waits for the workers' session counts; `stale` counts the answers in
 * which some worker did not answer in time.
 *
 *   node dist/bench/status-latency.js [--duration 8] [--policy round_robin] [--close]
 */
const values = benchArgs({
  duration: 8,
  policy: 'round_robin',
  workers: 2,
  /** Saturate with one connection per request: under round_robin the supervisor itself accepts every one. */
  close: false,
});
const durationSeconds = values.duration;

async function main(): Promise<string> {
  const node = await startPropane(values.workers, values.policy as Policy);
  const samples: number[] = [];
  let stale = 0;
  try {
    const load = runWrk({ port: node.port, connections: 50, durationSeconds, close: values.close });
    let loading = true;
    void load.finally(() => (loading = false));
    await sleep(1000);
    while (loading) {
      const t0 = performance.now();
      const reply = await callStatusSocket(node.statusSocket!, 'GET', '/status', 5_000);
      samples.push(performance.now() - t0);
      if (reply.status !== 200) throw new Error(`/status answered ${reply.status}`);
      if ((JSON.parse(reply.body) as StatusPayload).workers.some((w) => w.sessions_stale)) stale++;
      await sleep(10);
    }
    const wrk = await load;
    const sorted = [...samples].sort((a, b) => a - b);
    const p99 = percentile(sorted, 99);
    return [
      `propane, ${values.workers} workers, ${values.policy}, saturated by wrk -t1 -c50 -d${durationSeconds}s${values.close ? " -H 'Connection: close'" : ''} (${wrk.requestsPerSec.toFixed(0)} req/s); GET /status on the Unix socket every 10 ms, from second 1`,
      '',
      '| samples | stale | p50 ms | p90 ms | p99 ms | max ms | bar |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      `| ${samples.length} | ${stale} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 90).toFixed(2)} | **${p99.toFixed(2)}** | ${sorted.at(-1)!.toFixed(2)} | p99 ${p99 < 10 ? '<' : '>='} 10 ms |`,
    ].join('\n');
  } finally {
    await node.stop();
  }
}

process.stdout.write(`${await withLoadLock(main)}\n`);
