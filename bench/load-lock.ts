import { spawn } from 'node:child_process';

export const LOAD_LOCK = '/tmp/propane-load.lock';

/** Runs `fn` holding the machine-wide load lock, so no other load runs beside a benchmark (HELPERS.md). */
export async function withLoadLock<T>(fn: () => Promise<T>): Promise<T> {
  const holder = spawn('flock', [LOAD_LOCK, 'sh', '-c', 'echo locked; cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
      holder.once('exit', (code) => reject(new Error(`could not take ${LOAD_LOCK} (flock exit ${String(code)})`)));
      holder.once('error', reject);
    });
    process.stderr.write(`holding ${LOAD_LOCK}\n`);
    return await fn();
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
  }
}
