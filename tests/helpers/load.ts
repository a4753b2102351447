import { Agent, request } from 'node:http';
import tap from 'tap';
import { acquireLoadLock, LOAD_LOCK } from './load-lock.js';

export { LOAD_LOCK };


/** What a test file may still take once it holds the lock: the per-file budget of package.json's tap.timeout. */
const BUDGET_AFTER_LOCK_MS = 180_000;

/**
 * Runs `fn` while holding the machine-wide load lock (HELPERS.md): a child
 * `flock` holds it until its stdin closes, which also happens if this
 * process dies, so the lock can never be left behind. Waiting for another
 * helper's load is not this file's time: tap's timeout covers the wait
 * (bounded by waitMs) and starts afresh once the lock is held.
 */
export async function withLoadLock<T>(fn: () => Promise<T>, waitMs = 420_000): Promise<T> {
  tap.setTimeout(waitMs + BUDGET_AFTER_LOCK_MS);
  const lock = await acquireLoadLock(waitMs);
  if (!lock) throw new Error(`${LOAD_LOCK} still held by another load after ${waitMs} ms`);
  tap.setTimeout(BUDGET_AFTER_LOCK_MS);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export interface LoadResult {
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Requests that got no response, by error code. */
  errors: Record<string, number>;
  total: number;
}

/**
 * A bounded closed-loop load: `concurrency` clients, each sending its next
 * request when the previous one finished, until `durationMs` has passed.
 */
export async function runLoad(opts: { port: number; path: string; concurrency: number; durationMs: number; keepAlive?: boolean; timeoutMs?: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: opts.keepAlive ?? true, maxSockets: opts.concurrency });
  const result: LoadResult = { statuses: {}, errors: {}, total: 0 };
  const deadline = Date.now() + opts.durationMs;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: opts.port, path: opts.path, agent, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          result.statuses[res.statusCode ?? 0] = (result.statuses[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? err.message;
        result.errors[code] = (result.errors[code] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (Date.now() < deadline) {
        await one();
        result.total++;
      }
    }),
  );
  agent.destroy();
  return result;
}

export function failures(r: LoadResult): number {
  return Object.values(r.errors).reduce((a, b) => a + b, 0) + Object.entries(r.statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0);
}
