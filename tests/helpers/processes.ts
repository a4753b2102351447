import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isProcessAlive } from '../../shared/process-alive.js';
import { sleep } from './wait.js';

/**
 * Processes the tests and benchmarks start: whether one still runs, how to
 * end it, how to start node as an operator would, and a last-resort kill of
 * every child when this process exits.
 */

/** Running means it exists and is not a zombie (shared with `propane stop`). */
export const isAlive = isProcessAlive;

export function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A process as it was when first seen: its pid and its start time (field 22
 * of /proc/<pid>/stat, clock ticks since boot). Pids are reused: with
 * pid_max at 32768 and several suites forking on one machine, the pid of a
 * worker that exited minutes ago may belong to somebody else's supervisor by
 * the time a teardown looks for leftovers. Killing by pid alone killed it.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** null when the process was already gone when first seen. */
  readonly startTime: string | null;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Call while `pid` is known to be the process meant (just forked, or its own event just arrived). */
export function identify(pid: number): ProcessIdentity {
  return { pid, startTime: startTimeOf(pid) };
}

/** Whether the very process `id` names still runs, not another one that took its pid. */
export function stillRuns(id: ProcessIdentity): boolean {
  return id.startTime !== null && isAlive(id.pid) && startTimeOf(id.pid) === id.startTime;
}

/** Waits until none of `ids` runs; returns those still running after timeoutMs. */
export function waitAllExited(ids: readonly ProcessIdentity[], timeoutMs: number): Promise<ProcessIdentity[]> {
  return waitNoneRunning(ids, stillRuns, timeoutMs);
}

/** Waits until none of `pids` runs; returns those still running after timeoutMs. */
export function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  return waitNoneRunning(pids, isAlive, timeoutMs);
}

async function waitNoneRunning<T>(items: readonly T[], runs: (item: T) => boolean, timeoutMs: number): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  let running = items.filter(runs);
  while (running.length > 0 && Date.now() < deadline) {
    await sleep(25);
    running = running.filter(runs);
  }
  return running;
}

/**
 * Children still running when this process exits. tap ends a file that
 * overruns its timeout with SIGALRM, and teardowns never run then; SIGKILL
 * is all that is left. A SIGKILLed supervisor takes its workers with it
 * (their IPC channel closes).
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Registers `child` for the SIGKILL at exit until it exits by itself; returns it. */
export function killOnExit<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * The environment of this process without any ARLEN_/MOJOOBJC_/PROPANE_ variable that would change propane's
 * config, nor a service manager's NOTIFY_SOCKET, WATCHDOG_* or LISTEN_* (a test runner under systemd has them).
 */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(ARLEN_|MOJOOBJC_|PROPANE_|NOTIFY_SOCKET$|WATCHDOG_|LISTEN_)/.test(k)) env[k] = v;
  }
  return env;
}

/**
 * `node <args>` as an operator runs it. tap's @tapjs/processinfo hooks every spawn and puts its
 * `--import` loader into NODE_OPTIONS, which would load into the supervisor, every worker and
 * every CLI run (~25 MB of RSS each, and start-up time); `env -u` drops it before node starts.
 */
export function nodeCommand(args: string[]): [string, string[]] {
  return ['/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]];
}
