import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const LOAD_LOCK = '/tmp/propane-load.lock';

/** The machine-wide load lock, held; release() lets the next load run. */
export interface HeldLoadLock {
  release(): Promise<void>;
}

/**
 * Takes the machine-wide load lock (one load test or benchmark at a time on
 * 2 cores). A child `flock` holds it for a shell that says "locked" and then
 * waits for its stdin to close, which also happens if this process dies, so
 * the lock can never be left behind. Resolves null if the lock is not free
 * within waitMs. When a process above this one already holds it (`flock
 * /tmp/propane-load.lock make test`), a second flock would wait on its own
 * parent, so it resolves at once without taking it again.
 */
export async function acquireLoadLock(waitMs: number): Promise<HeldLoadLock | null> {
  if (ancestorHoldsLoadLock()) return { release: async () => {} };
  const holder = spawn('flock', [LOAD_LOCK, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const release = async (): Promise<void> => {
    holder.stdin.end();
    if (holder.exitCode === null && holder.signalCode === null) await new Promise((r) => holder.once('exit', r));
  };
  const locked = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    holder.stdout.once('data', () => (clearTimeout(timer), resolve(true)));
    holder.once('error', () => (clearTimeout(timer), resolve(false)));
    holder.once('exit', () => (clearTimeout(timer), resolve(false)));
  });
  if (locked) return { release };
  holder.kill();
  return null;
}

export class LoadLockBusy extends Error {}

/** Runs `fn` holding the load lock; throws LoadLockBusy if it is not free within timeoutMs (tap stops a file after 180 s). */
export async function withLoadLock<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const lock = await acquireLoadLock(timeoutMs);
  if (!lock) throw new LoadLockBusy(`could not take ${LOAD_LOCK} within ${timeoutMs} ms`);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Whether a process above this one is `flock /tmp/propane-load.lock ...` (Linux /proc; false elsewhere). */
function ancestorHoldsLoadLock(): boolean {
  try {
    let pid = process.ppid;
    while (pid > 1) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('flock') && argv.includes(LOAD_LOCK)) return true;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    }
  } catch {
    // No /proc, or the chain ended: not held above us.
  }
  return false;
}
