import type { Check } from '../contracts/json-schema-check.js';
import type { Logger } from './log.js';
import { logEvent } from './log.js';
import { RateLimitedLog } from './rate-limited-log.js';

export interface IpcReceiverOptions {
  /** One `ipc_rejected` line per window; the rest are counted in `suppressed_since_last`. */
  windowMs?: number;
  now?: () => number;
}

/**
 * Validates every IPC message on receipt with `check` (the supervisor's is
 * zod, a worker's the JSON Schema check of contracts/worker-checks.ts). Junk
 * is logged as `ipc_rejected` (rate-limited, so a flood cannot flood the log)
 * and dropped; it never throws into the caller.
 */
export function createIpcReceiver<T>(check: Check<T>, log: Logger, from: string, handle: (msg: T) => void, opts: IpcReceiverOptions = {}): (raw: unknown) => void {
  const limiter = new RateLimitedLog(opts.windowMs ?? 10_000);
  const now = opts.now ?? Date.now;
  return (raw: unknown) => {
    const checked = check(raw);
    if (checked.ok) return handle(checked.value);
    const suppressed = limiter.admit(from, now());
    if (suppressed < 0) return;
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    logEvent(log, 'warn', 'ipc_rejected', { from, type: typeof type === 'string' ? type.slice(0, 64) : typeof raw, issue: checked.issue, suppressed_since_last: suppressed }, 'dropped a malformed IPC message');
  };
}
