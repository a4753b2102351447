import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { LogEvent } from '../contracts/log-events.js';
import { LOG_REDACT_PATHS, REDACTED } from './secrets.js';

export type { Logger };

export type Role = 'supervisor' | 'worker' | 'cli';

/**
 * One root logger per process; `pid` sits in `base`, so children must not bind it again.
 * Lines are written synchronously to stdout: propane logs events, not requests (those only at
 * debug), and a synchronous write is the one way a line is out before the next one or before
 * exit. pino's default asynchronous stream let an exit-time flush overtake a write still in
 * flight, so `supervisor_stopped` was sometimes not the last line, and a crashing process can
 * lose its buffered lines.
 */
export function createLogger(role: Role, level: LevelWithSilent = 'info'): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, role },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...LOG_REDACT_PATHS], censor: REDACTED },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}

/** Every line carries a stable `event` from the closed list in contracts/log-events.ts. */
export function logEvent(
  log: Logger,
  level: 'info' | 'warn' | 'error' | 'debug' | 'fatal',
  event: LogEvent,
  fields: Record<string, unknown>,
  msg: string,
): void {
  log[level]({ event, ...fields }, msg);
}
