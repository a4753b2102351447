import { spawn } from 'node:child_process';

export const LOAD_LOCK = '/tmp/propane-load.lock';

/**
 * Runs `fn` while holding the machine-wide load lock (HELPERS.md: one load
 * test or benchmark at a time). flock holds the lock for a shell that says
 * "locked" and then waits for its stdin to close.
 */
export async function withLoadLock<T>(fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const holder = spawn('flock', ['-w', String(Math.ceil(timeoutMs / 1000)), LOAD_LOCK, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
      holder.once('exit', (code) => reject(new Error(`could not take ${LOAD_LOCK} (flock exit ${String(code)})`)));
      holder.once('error', reject);
    });
    return await fn();
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
  }
}
