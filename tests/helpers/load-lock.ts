import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The machine-wide load lock: one load test or benchmark at a time on a
 * machine of 2 cores, whoever runs it (tests, benchmarks, several
 * checkouts). Tests and benchmarks both take it through withLoadLock.
 */
export const LOAD_LOCK = '/tmp/propane-load.lock';

/** What a test file may still take once it holds the lock: the per-file budget of package.json's tap.timeout. */
const BUDGET_AFTER_LOCK_MS = 180_000;

/** The machine-wide load lock, held; release() lets the next load run. */
export interface HeldLoadLock {
  release(): Promise<void>;
}

/**
 * Takes the lock. A child `flock` holds it for a shell that says "locked"
 * and then waits for its stdin to close, which also happens if this process
 * dies, so the lock can never be left behind. Resolves null if the lock is
 * not free within waitMs. When a process above this one already holds it
 * (`flock /tmp/propane-load.lock node dist/bench/...`), a second flock would
 * wait for its own ancestor forever, so it resolves at once without taking
 * it again.
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

/**
 * Runs `fn` holding the lock; throws if it is not free within waitMs.
 * Under tap, waiting for another load is not this file's time: the file's
 * timeout covers the wait and starts afresh once the lock is held.
 */
export async function withLoadLock<T>(fn: () => Promise<T>, waitMs = 420_000): Promise<T> {
  const testFile = await tapRoot();
  testFile?.setTimeout(waitMs + BUDGET_AFTER_LOCK_MS);
  const lock = await acquireLoadLock(waitMs);
  if (!lock) throw new Error(`${LOAD_LOCK} still held by another load after ${waitMs} ms`);
  testFile?.setTimeout(BUDGET_AFTER_LOCK_MS);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** tap's root test when this process is a tap test file (tap sets TAP=1 in each); benchmarks run without it. */
async function tapRoot(): Promise<{ setTimeout(ms: number): unknown } | null> {
  if (process.env.TAP !== '1') return null;
  return (await import('tap')).default;
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
