import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { freePort } from '../tests/helpers/ports.js';
import { benchArgs } from './args.js';
import { CLI, nodeBinary, nodeVersionOf, track, waitForLine } from './servers.js';
import { median } from './wrk.js';

/**
 * A worker's cold start (bar: fork to ready in under 1.5x the CPU seconds of
 * a bare node:cluster worker serving the same handler, and its RSS at ready
 * within 10 MB of that worker's; bench/RESULTS.md). Interleaved rounds boot
 * `propane start --workers 1` (embedded app) and the bare worker of
 * bare-worker.ts, which loads node:http once by ESM import and once by
 * require; the worker is read from /proc the moment its primary reports it
 * ready: CPU as the run time of all its threads, RSS as VmRSS. Then the
 * supervisor's RSS with 8 workers, at rest and under load (supervisor-rss.ts,
 * run on the same Node). It takes the load lock itself.
 *
 *   node dist/bench/cold-start.js [--node /path/to/node] [--boots 10] [--workers 8]
 */
const args = benchArgs({ node: process.execPath, boots: 10, workers: 8 });
const node = nodeBinary(args);
const here = fileURLToPath(new URL('.', import.meta.url));
const BARE = join(here, 'bare-worker.js');

interface Sample {
  cpuSeconds: number;
  rssMB: number;
}

type Variant = 'propane' | 'bare_import' | 'bare_require';
const LABELS: Record<Variant, string> = {
  propane: 'propane worker (embedded app)',
  bare_import: 'bare node:cluster worker, node:http by ESM import',
  bare_require: 'bare node:cluster worker, node:http by require',
};

/** Run time of every thread of `pid` (schedstat, ns) and its VmRSS, right now. */
function readProc(pid: number): Sample {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuSeconds: ns / 1e9, rssMB: kb / 1024 };
}

async function boot(variant: Variant): Promise<Sample> {
  const port = await freePort();
  const socket = join(tmpdir(), `propane-cold-${process.pid}-${port}.sock`);
  const argv =
    variant === 'propane'
      ? [CLI, 'start', '--workers', '1', '--port', String(port), '--status-socket', socket]
      : [BARE, String(port), variant === 'bare_import' ? 'import' : 'require'];
  const child = spawn(node, argv, { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir() });
  const run = track(child, variant, port, variant === 'propane' ? socket : undefined);
  try {
    const isReady = variant === 'propane' ? (l: string) => l.includes('"event":"worker_ready"') : (l: string) => l.startsWith('ready ');
    const line = await waitForLine(child, isReady, 30_000, variant);
    const pid = variant === 'propane' ? (JSON.parse(line) as { worker_pid: number }).worker_pid : Number(line.slice('ready '.length));
    return readProc(pid);
  } finally {
    await run.stop();
  }
}

async function measureBoots(): Promise<Record<Variant, Sample[]>> {
  const samples: Record<Variant, Sample[]> = { propane: [], bare_import: [], bare_require: [] };
  const order: Variant[] = ['propane', 'bare_import', 'bare_require'];
  for (let round = 0; round < args.boots; round++) {
    // Rotate the order, so no variant always boots right after the same one.
    for (let i = 0; i < order.length; i++) {
      const variant = order[(i + round) % order.length]!;
      samples[variant].push(await boot(variant));
    }
  }
  return samples;
}

function table(samples: Record<Variant, Sample[]>): string {
  const med = (v: Variant, key: keyof Sample): number => median(samples[v].map((s) => s[key]));
  const rows = (Object.keys(LABELS) as Variant[]).map((v) => `| ${LABELS[v]} | ${med(v, 'cpuSeconds').toFixed(3)} | ${Math.min(...samples[v].map((s) => s.cpuSeconds)).toFixed(3)} | ${med(v, 'rssMB').toFixed(1)} |`);
  const vs = (bare: Variant): string => {
    const ratio = med('propane', 'cpuSeconds') / med(bare, 'cpuSeconds');
    const extra = med('propane', 'rssMB') - med(bare, 'rssMB');
    return `| propane vs ${LABELS[bare].replace('bare node:cluster worker, ', 'bare, ')} | **${ratio.toFixed(2)}x** (${ratio <= 1.5 ? 'meets' : 'misses'} 1.5x) | **${extra >= 0 ? '+' : ''}${extra.toFixed(1)} MB** (${extra <= 10 ? 'meets' : 'misses'} +10 MB) |`;
  };
  return [
    '| worker | CPU s at ready, median | min | RSS MB at ready, median |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    '| comparison | CPU | RSS |',
    '| --- | ---: | ---: |',
    vs('bare_import'),
    vs('bare_require'),
  ].join('\n');
}

const version = nodeVersionOf(args.node);
const boots = await withLoadLock(measureBoots);
process.stdout.write(`Node ${version} (${args.node}); ${args.boots} boots of each, interleaved; CPU = run time of all the worker's threads from /proc when its primary reports it ready\n\n${table(boots)}\n\n`);
// supervisor-rss.js takes the load lock itself, so it runs after this process let go of it.
const rss = spawnSync(args.node, [join(here, 'supervisor-rss.js'), '--workers', String(args.workers)], { stdio: ['ignore', 'inherit', 'inherit'] });
process.exitCode = rss.status ?? 1;
