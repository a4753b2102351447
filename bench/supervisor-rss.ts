import { readFileSync } from 'node:fs';
import { callStatusSocket } from '../supervisor/status-client.js';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { startPropane, type Policy } from './servers.js';
import { runWrk } from './wrk.js';

/**
 * The supervisor's RSS with 8 workers stays under 80 MB (the budget
 * tests/integration/status-socket-supervisor-rss-budget.test.ts holds too).
 * Read from /proc (VmRSS, VmHWM: the peak) at rest, during load and after.
 *
 *   node dist/bench/supervisor-rss.js [--workers 8]
 */
const values = benchArgs({ workers: 8, policy: 'round_robin' });

function memMB(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function main(): Promise<string> {
  const node = await startPropane(values.workers, values.policy as Policy);
  try {
    await sleep(2000);
    const rest = memMB(node.pid);
    const load = runWrk({ port: node.port, connections: 100, durationSeconds: 5 });
    const during: number[] = [];
    let loading = true;
    void load.finally(() => (loading = false));
    while (loading) {
      await callStatusSocket(node.statusSocket!, 'GET', '/status', 5_000);
      await callStatusSocket(node.statusSocket!, 'GET', '/metrics', 5_000);
      during.push(memMB(node.pid).rss);
      await sleep(200);
    }
    await load;
    const after = memMB(node.pid);
    return [
      `propane supervisor, ${values.workers} workers; RSS from /proc/<pid>/status; load: wrk -t1 -c100 -d5s plus /status and /metrics every 200 ms`,
      '',
      '| at rest MB | max during load MB | after MB | peak (VmHWM) MB | bar |',
      '| ---: | ---: | ---: | ---: | --- |',
      `| ${rest.rss.toFixed(1)} | ${Math.max(...during).toFixed(1)} | ${after.rss.toFixed(1)} | **${after.peak.toFixed(1)}** | ${after.peak < 80 ? '<' : '>='} 80 MB |`,
    ].join('\n');
  } finally {
    await node.stop();
  }
}

process.stdout.write(`${await withLoadLock(main)}\n`);
