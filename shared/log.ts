import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { LogEvent } from '../contracts/log-events.js';
import { LOG_REDACT_PATHS, REDACTED } from './secrets.js';

export type { Logger };

export type Role = 'supervisor' | 'worker' | 'cli';

/** One root logger per process; `pid` sits in `base`, so children must not bind it again. */
export function createLogger(role: Role, level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid, role },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...LOG_REDACT_PATHS], censor: REDACTED },
  });
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
