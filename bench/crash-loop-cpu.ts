import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { killOnExit } from '../tests/helpers/processes.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';

/**
 * What a crash-looping app costs the machine: an app that throws while
 * loading, the default crash-loop policy, `--workers 2`. The node's CPU is
 * the supervisor's own plus that of every worker it forked, live (from
 * /proc/<pid>/task/*\/schedstat of each worker still running) and reaped
 * (the supervisor's cutime and cstime: node:cluster waits for its workers).
 * Measured over the first 10 s after the first slot enters crash_loop, and
 * over a later minute, once the backoff sits at maxBackoffSeconds.
 *
 *   node dist/bench/crash-loop-cpu.js [--node /path/to/node] [--later-from 90]
 */
const values = benchArgs({ node: process.execPath, workers: 2, 'later-from': 90, 'later-seconds': 60 });
const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = join(here, '../supervisor/cli.js');
const APP = join(here, '../../tests/fixtures/apps/throws-at-load.cjs');
const TICKS_PER_SECOND = 100;

/** utime + stime (+ cutime + cstime with `reaped`) of one process, in seconds. */
function cpuSeconds(pid: number, reaped: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // Fields 14-17 of proc(5): utime, stime, cutime, cstime; f[0] is field 3.
    const ticks = f[11]! + f[12]! + (reaped ? f[13]! + f[14]! : 0);
    return ticks / TICKS_PER_SECOND;
  } catch {
    return 0; // Gone between listing and reading: the supervisor's cutime has it now.
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The node's CPU: the supervisor with every reaped worker, plus the workers alive now. */
function nodeCpuSeconds(supervisor: number): number {
  return cpuSeconds(supervisor, true) + childPids(supervisor).reduce((sum, pid) => sum + cpuSeconds(pid, false), 0);
}

async function main(): Promise<string> {
  const socket = join(tmpdir(), `propane-bench-crash-${process.pid}.sock`);
  const child = spawn(values.node, [CLI, 'start', APP, '--workers', String(values.workers), '--port', '0', '--status-socket', socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  killOnExit(child);
  const pid = child.pid!;
  const events: Array<{ event: string; slot?: number; atMs: number }> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as { event?: string; slot?: number };
        if (parsed.event) events.push({ event: parsed.event, slot: parsed.slot, atMs: performance.now() });
      } catch {
        // Not a log line.
      }
    }
  });
  try {
    const t0 = performance.now();
    while (!events.some((e) => e.event === 'crash_loop')) {
      if (performance.now() - t0 > 60_000) throw new Error('no slot entered crash_loop within 60 s');
      await sleep(5);
    }
    const entered = performance.now();
    const atEntry = nodeCpuSeconds(pid);
    await sleep(10_000);
    const firstTen = nodeCpuSeconds(pid) - atEntry;
    const forksFirstTen = events.filter((e) => e.event === 'worker_forked' && e.atMs >= entered).length;
    await sleep(Math.max(0, entered + values['later-from'] * 1000 - performance.now()));
    const laterStart = nodeCpuSeconds(pid);
    const laterFrom = performance.now();
    await sleep(values['later-seconds'] * 1000);
    const later = nodeCpuSeconds(pid) - laterStart;
    const forksLater = events.filter((e) => e.event === 'worker_forked' && e.atMs >= laterFrom).length;
    const percentOfCore = (later / values['later-seconds']) * 100;
    return [
      `crash-looping app (throws at load), --workers ${values.workers}, default crash-loop policy, Node ${nodeVersion()}; node CPU = supervisor + reaped workers (cutime, cstime) + live workers, from /proc`,
      '',
      '| window | worker boots | node CPU s | bar |',
      '| --- | ---: | ---: | --- |',
      `| first 10 s after the first slot entered crash_loop | ${forksFirstTen} | **${firstTen.toFixed(2)}** | < 2 CPU s (${firstTen < 2 ? 'met' : 'NOT met'}) |`,
      `| ${values['later-seconds']} s from ${values['later-from']} s after entry | ${forksLater} | **${later.toFixed(2)}** (${percentOfCore.toFixed(2)} % of a core) | < 2 % of a core (${percentOfCore < 2 ? 'met' : 'NOT met'}) |`,
    ].join('\n');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(socket, { force: true });
  }
}

function nodeVersion(): string {
  return spawnSync(values.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

process.stdout.write(`${await withLoadLock(main)}\n`);
