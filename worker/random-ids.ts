import { nodeCrypto } from '../shared/lazy-crypto.js';

/**
 * Random lower-hex ids for request ids, trace ids and span ids: one per
 * request at least, so they come from a pool. `randomFillSync` fills 4 KiB at
 * a time (one call into OpenSSL's CSPRNG per ~100 requests instead of one per
 * id), the pool is hex-encoded once, and an id is a substring of it, which V8
 * makes without copying. bench/RESULTS.md has the per-request cost.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hex = '';
let cursor = 0;

function take(chars: number): string {
  if (cursor + chars > hex.length) {
    nodeCrypto().randomFillSync(pool);
    hex = pool.toString('hex');
    cursor = 0;
  }
  const id = hex.slice(cursor, cursor + chars);
  cursor += chars;
  return id;
}

const ZERO_16 = '0'.repeat(16);
const ZERO_32 = '0'.repeat(32);

/** 32 lower-hex characters (16 random bytes), never all zeros: W3C Trace Context forbids an all-zero trace id. */
export function randomId32(): string {
  let id = take(32);
  while (id === ZERO_32) id = take(32);
  return id;
}

/** 16 lower-hex characters (8 random bytes), never all zeros: a valid W3C span (parent) id. */
export function randomId16(): string {
  let id = take(16);
  while (id === ZERO_16) id = take(16);
  return id;
}
