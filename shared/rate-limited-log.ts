/**
 * Lets one line through per key per window and counts what it held back, so a
 * flood (junk IPC, 503s under overload) is visible without a line per event.
 */
export class RateLimitedLog {
  readonly #windowMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Returns the number suppressed since the last line when this one may be logged, else -1. */
  admit(key: string, nowMs: number): number {
    const entry = this.#last.get(key);
    if (entry && nowMs - entry.at < this.#windowMs) {
      entry.suppressed++;
      return -1;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.#last.set(key, { at: nowMs, suppressed: 0 });
    return suppressed;
  }
}
