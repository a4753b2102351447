import { nodeCrypto } from './lazy-crypto.js';

/**
 * Constant-time check of `Authorization: Bearer <token>`. Both sides are
 * hashed first, so neither the bytes nor the length of the token leak
 * through timing.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+)$/i.exec(header ?? '');
  const given = digest(match?.[1] ?? '');
  return nodeCrypto().timingSafeEqual(given, digest(token)) && match !== null;
}

function digest(text: string): Buffer {
  return nodeCrypto().createHash('sha256').update(text).digest();
}
