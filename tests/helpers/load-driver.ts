import { Agent, request } from 'node:http';
import { acquireLoadLock, LOAD_LOCK } from './load-lock.js';

/**
 * A node load driver that counts every failure precisely, for the
 * zero-failed-requests tests of SPEC section 6 (issue 4). `keepalive` runs
 * `concurrency` loops over one keep-alive agent with that many sockets;
 * `per-request` opens a fresh connection (agent: false, Connection: close)
 * for every request. Wrap whatever runs it in `flock /tmp/propane-load.lock`.
 */
export type LoadShape = 'keepalive' | 'per-request';

export interface LoadResult {
  ok: number;
  /** Status code => count, for every answer that was not 2xx. */
  non2xx: Record<number, number>;
  resets: number;
  refused: number;
  /** Any other error, by code or message. */
  otherErrors: Record<string, number>;
  /** The first few failures, described (error code, socket reuse, local port), for the test's message. */
  samples: string[];
  /** The X-Arlen-Worker-Pid of every 2xx answer. */
  pids: Set<number>;
}

export interface Load {
  readonly result: LoadResult;
  /** Stops issuing requests, waits for those in flight, returns the tallies. */
  stop(): Promise<LoadResult>;
  /** Resolves once `n` more requests have answered 2xx, or rejects after timeoutMs. */
  waitForOk(n: number, timeoutMs?: number): Promise<void>;
}

export function failures(r: LoadResult): number {
  return Object.values(r.non2xx).reduce((a, b) => a + b, 0) + r.resets + r.refused + Object.values(r.otherErrors).reduce((a, b) => a + b, 0);
}

export interface LoadOptions {
  /** Request loops running at once (and sockets of the keep-alive agent); default 8. */
  concurrency?: number;
  path?: string;
  timeoutMs?: number;
  /** Each loop pauses a random 0..pauseMs between requests, so keep-alive sockets sit idle in the pool. */
  pauseMs?: number;
}

export function startLoad(port: number, shape: LoadShape, opts: LoadOptions = {}): Load {
  const concurrency = opts.concurrency ?? 8;
  const path = opts.path ?? '/';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const agent = shape === 'keepalive' ? new Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  const result: LoadResult = { ok: 0, non2xx: {}, resets: 0, refused: 0, otherErrors: {}, samples: [], pids: new Set() };
  let running = true;
  const okWaiters: Array<{ at: number; resolve: () => void }> = [];

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const headers = shape === 'per-request' ? { Connection: 'close' } : {};
      const startedAt = performance.now();
      const req = request({ host: '127.0.0.1', port, path, agent, headers, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('error', (err) => tally(err));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            result.ok++;
            const pid = Number(res.headers['x-arlen-worker-pid']);
            if (pid > 0) result.pids.add(pid);
            for (const w of [...okWaiters]) if (result.ok >= w.at) (okWaiters.splice(okWaiters.indexOf(w), 1), w.resolve());
          } else {
            result.non2xx[status] = (result.non2xx[status] ?? 0) + 1;
          }
          resolve();
        });
      });
      const tally = (err: NodeJS.ErrnoException): void => {
        const code = err.code ?? err.message;
        if (result.samples.length < 10) result.samples.push(`${new Date().toISOString()} ${code} ${err.message} after_ms=${Math.round(performance.now() - startedAt)} reused=${String(req.reusedSocket)} local_port=${String(req.socket?.localPort)}`);
        if (code === 'ECONNRESET' || /socket hang up/.test(err.message)) result.resets++;
        else if (code === 'ECONNREFUSED') result.refused++;
        else result.otherErrors[code] = (result.otherErrors[code] ?? 0) + 1;
        resolve();
      };
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', tally);
      req.end();
    });

  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      await once();
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, Math.random() * opts.pauseMs!));
    }
  });

  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      if (agent) agent.destroy();
      return result;
    },
    waitForOk(n, waitMs = 30_000) {
      return new Promise((resolve, reject) => {
        const entry = { at: result.ok + n, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          okWaiters.splice(okWaiters.indexOf(entry), 1);
          reject(new Error(`fewer than ${n} more 2xx answers within ${waitMs} ms: ${JSON.stringify({ ...result, pids: [...result.pids] })}`));
        }, waitMs);
        okWaiters.push(entry);
      });
    },
  };
}

/**
 * Holds `/tmp/propane-load.lock` (the machine-wide load lock every load run
 * shares) until teardown, through a `flock` child that keeps it while its
 * stdin is open. Proceeds unlocked, with a comment, if it is not free within
 * waitMs, so a stuck holder cannot fail the suite.
 */
export async function holdLoadLock(t: { teardown(fn: () => void): void; comment(msg: string): void }, waitMs = 90_000): Promise<void> {
  const lock = await acquireLoadLock(waitMs);
  if (lock) t.teardown(() => void lock.release());
  else t.comment(`${LOAD_LOCK} not acquired within ${waitMs} ms; running the load unlocked`);
}
