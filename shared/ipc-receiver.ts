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
 * and dropped, with the handle that came with it, if any (closed, so its
 * descriptor does not leak); it never throws into the caller. A valid
 * message reaches `handle` with its attached handle (a listening socket
 * under reuse_port), or undefined.
 */
export function createIpcReceiver<T>(check: Check<T>, log: Logger, from: string, handle: (msg: T, attached: unknown) => void, opts: IpcReceiverOptions = {}): (raw: unknown, attached?: unknown) => void {
  const limiter = new RateLimitedLog(opts.windowMs ?? 10_000);
  const now = opts.now ?? Date.now;
  return (raw: unknown, attached?: unknown) => {
    const checked = check(raw);
    if (checked.ok) return handle(checked.value, attached);
    closeAttached(attached);
    const suppressed = limiter.admit(from, now());
    if (suppressed < 0) return;
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    logEvent(log, 'warn', 'ipc_rejected', { from, type: typeof type === 'string' ? type.slice(0, 64) : typeof raw, issue: checked.issue, suppressed_since_last: suppressed }, 'dropped a malformed IPC message');
  };
}

/** Closes a handle (or net.Socket, net.Server) that came over IPC and will not be used. */
export function closeAttached(attached: unknown): void {
  const closable = attached as { close?: unknown; destroy?: unknown } | null | undefined;
  if (typeof closable?.destroy === 'function') (closable.destroy as () => void)();
  else if (typeof closable?.close === 'function') (closable.close as () => void)();
}
