/**
 * Bounded waiting for tests and benchmarks: a pause, a promise with a
 * deadline, and polling until a condition holds. Every wait here ends.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves with `p`'s value, or null after timeoutMs; leaves no timer behind. */
export async function within<T>(p: Promise<T>, timeoutMs: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
  clearTimeout(timer);
  return result;
}

/**
 * Calls `read` every everyMs until `done` holds for what it returned, or
 * timeoutMs has passed; resolves with the last value either way, so the
 * caller's assertion shows what was seen. A `read` that throws counts as
 * not done yet (a process restarting, a socket not listening yet) unless
 * it still throws at the deadline.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await read();
      if (done(value) || Date.now() >= deadline) return value;
    } catch (err) {
      if (Date.now() >= deadline) throw err;
    }
    await sleep(everyMs);
  }
}
