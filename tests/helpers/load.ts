import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TLSSocket } from 'node:tls';
import { sleep } from './wait.js';

/**
 * An HTTP load from this process that counts every answer and every
 * failure precisely, for the tests that must fail no request. `keepalive`
 * runs `concurrency` loops over one keep-alive agent with that many
 * sockets; `per-request` opens a fresh connection (agent: false,
 * Connection: close) for every request. With `ca` it speaks HTTPS,
 * trusting that CA (each new connection a full handshake). Run it inside
 * withLoadLock (load-lock.ts).
 */
export type LoadShape = 'keepalive' | 'per-request';

export interface LoadResult {
  /** Requests sent, answered or not. */
  total: number;
  /** Answers by status code. */
  statuses: Record<number, number>;
  /** Answers that were 2xx. */
  ok: number;
  /** Requests that got no answer, by error code (ECONNRESET for a socket hang up, ETIMEDOUT for no answer within timeoutMs). */
  errors: Record<string, number>;
  /** The first few errors, described (code, time, socket reuse, local port), for the test's message. */
  samples: string[];
  /** The X-Arlen-Worker-Pid of every 2xx answer. */
  pids: Set<number>;
  /** Over HTTPS, the SHA-256 fingerprint of the server certificate of every 2xx answer. */
  fingerprints: Set<string>;
}

/** A request failed when it got no answer or an answer that was not 2xx. */
export function failures(r: LoadResult): number {
  const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
  return sum(r.statuses) - r.ok + sum(r.errors);
}

export interface LoadOptions {
  shape?: LoadShape;
  /** Request loops running at once (and sockets of the keep-alive agent); default 8. */
  concurrency?: number;
  path?: string;
  timeoutMs?: number;
  /** Each loop pauses a random 0..pauseMs between requests, so keep-alive sockets sit idle in the pool. */
  pauseMs?: number;
  /** HTTPS, trusting this CA (PEM). */
  ca?: string;
}

export interface Load {
  readonly result: LoadResult;
  /** Stops issuing requests, waits for those in flight, returns the tallies. */
  stop(): Promise<LoadResult>;
  /** Resolves once `n` more requests have answered 2xx, or rejects after timeoutMs. */
  waitForOk(n: number, timeoutMs?: number): Promise<void>;
}

export function startLoad(port: number, opts: LoadOptions = {}): Load {
  const shape = opts.shape ?? 'keepalive';
  const concurrency = opts.concurrency ?? 8;
  const path = opts.path ?? '/';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tls = opts.ca === undefined ? null : { ca: opts.ca, maxCachedSessions: 0 };
  const agent = shape !== 'keepalive' ? false : tls ? new HttpsAgent({ keepAlive: true, maxSockets: concurrency, ...tls }) : new Agent({ keepAlive: true, maxSockets: concurrency });
  const send = tls ? httpsRequest : request;
  const result: LoadResult = { total: 0, statuses: {}, ok: 0, errors: {}, samples: [], pids: new Set(), fingerprints: new Set() };
  let running = true;
  const okWaiters: Array<{ at: number; resolve: () => void }> = [];

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const headers = shape === 'per-request' ? { Connection: 'close' } : {};
      const startedAt = performance.now();
      result.total++;
      const req = send({ host: '127.0.0.1', port, path, agent, headers, timeout: timeoutMs, ...tls }, (res) => {
        // Read while the headers are fresh: a connection the server closes after its answer may be gone at 'end'.
        const fingerprint = res.socket instanceof TLSSocket ? res.socket.getPeerCertificate()?.fingerprint256 : undefined;
        res.resume();
        res.on('error', (err) => tally(err));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          result.statuses[status] = (result.statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            result.ok++;
            const pid = Number(res.headers['x-arlen-worker-pid']);
            if (pid > 0) result.pids.add(pid);
            if (fingerprint) result.fingerprints.add(fingerprint);
            for (const w of [...okWaiters]) if (result.ok >= w.at) (okWaiters.splice(okWaiters.indexOf(w), 1), w.resolve());
          }
          resolve();
        });
      });
      const tally = (err: NodeJS.ErrnoException): void => {
        const code = /socket hang up/.test(err.message) ? 'ECONNRESET' : (err.code ?? err.message);
        if (result.samples.length < 10) result.samples.push(`${new Date().toISOString()} ${code} ${err.message} after_ms=${Math.round(performance.now() - startedAt)} reused=${String(req.reusedSocket)} local_port=${String(req.socket?.localPort)}`);
        result.errors[code] = (result.errors[code] ?? 0) + 1;
        resolve();
      };
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', tally);
      req.end();
    });

  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      await once();
      if (opts.pauseMs) await sleep(Math.random() * opts.pauseMs);
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
          reject(new Error(`fewer than ${n} more 2xx answers within ${waitMs} ms: ${describeLoad(result)}`));
        }, waitMs);
        okWaiters.push(entry);
      });
    },
  };
}

/** A load that runs for durationMs, then stops and returns its tallies. */
export async function runLoad(port: number, durationMs: number, opts: LoadOptions = {}): Promise<LoadResult> {
  const load = startLoad(port, opts);
  await sleep(durationMs);
  return load.stop();
}

/** The tallies as one line, for a test's comment or message. */
export function describeLoad(r: LoadResult): string {
  return JSON.stringify({ ...r, pids: [...r.pids], fingerprints: [...r.fingerprints] });
}
