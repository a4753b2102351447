import { spawn } from 'node:child_process';

export const LOAD_LOCK = '/tmp/propane-load.lock';

/**
 * Runs `fn` while holding the machine-wide load lock (HELPERS.md: one load
 * test or benchmark at a time). flock holds the lock for a shell that says
 * "locked" and then waits for its stdin to close. Waiting is bounded (tap
 * stops a file after 180 s): past `timeoutMs` it throws LoadLockBusy.
 */
export class LoadLockBusy extends Error {}

export async function withLoadLock<T>(fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const holder = spawn('flock', ['-w', String(Math.ceil(timeoutMs / 1000)), LOAD_LOCK, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
      holder.once('exit', (code) => reject(new LoadLockBusy(`could not take ${LOAD_LOCK} within ${timeoutMs} ms (flock exit ${String(code)})`)));
      holder.once('error', reject);
    });
    return await fn();
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
  }
}
