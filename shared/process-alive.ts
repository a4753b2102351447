import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs. A zombie counts as gone: an exited process
 * may wait a moment for its parent (a shell, a container init) to reap it,
 * and it holds no port, socket or memory by then.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // No /proc to ask: it answered signal 0, so it runs.
  }
}
