import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;

/**
 * node:crypto, loaded at first use: it costs a worker 4-6 ms of CPU on Node 24
 * (1.5 ms on Node 20) before it is ready, and a worker first needs it for the
 * first request (its ids come from a random pool) or a token check (bench/RESULTS.md,
 * "Worker cold start").
 */
export function nodeCrypto(): typeof Crypto {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof Crypto);
}
