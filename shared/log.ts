import { createRequire } from 'node:module';
import type { LevelWithSilent, Logger as Pino } from 'pino';
import type { LogEvent } from '../contracts/log-events.js';
import { LOG_REDACT_PATHS, REDACTED } from './secrets.js';

export type Role = 'supervisor' | 'worker' | 'cli';
type Level = Exclude<LevelWithSilent, 'silent'>;

/** The part of a pino logger propane uses; a pino logger is one (tests pass theirs). */
export interface Logger {
  fatal(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  trace(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: Level): boolean;
}

const LEVEL_VALUES: Readonly<Record<LevelWithSilent, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * One root logger per process; `pid` sits in `base`, so children must not bind it again.
 * Lines are written synchronously to stdout: propane logs events, not requests (those only at
 * debug), and a synchronous write is the one way a line is out before the next one or before
 * exit. pino's default asynchronous stream let an exit-time flush overtake a write still in
 * flight, so `supervisor_stopped` was sometimes not the last line, and a crashing process can
 * lose its buffered lines.
 *
 * pino itself is loaded at the first line at or above `level`: a healthy worker at the default
 * level writes none, and loading pino at boot cost it 13-20 ms of CPU and 3-8 MB
 * (bench/RESULTS.md, "Worker cold start"). The first line pays that once, synchronously.
 */
export function createLogger(role: Role, level: LevelWithSilent = 'info'): Logger {
  let root: Pino | undefined;
  const load = (): Pino => (root ??= createPino(role, level));
  return new LazyLogger(load, LEVEL_VALUES[level], []);
}

function createPino(role: Role, level: LevelWithSilent): Pino {
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
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

/** A logger that decides levels itself and builds its pino child only when it first writes. */
class LazyLogger implements Logger {
  readonly #root: () => Pino;
  readonly #threshold: number;
  readonly #bindings: ReadonlyArray<Record<string, unknown>>;
  #pino: Pino | undefined;

  constructor(root: () => Pino, threshold: number, bindings: ReadonlyArray<Record<string, unknown>>) {
    this.#root = root;
    this.#threshold = threshold;
    this.#bindings = bindings;
  }

  readonly fatal = (obj: object, msg?: string): void => this.#write('fatal', obj, msg);
  readonly error = (obj: object, msg?: string): void => this.#write('error', obj, msg);
  readonly warn = (obj: object, msg?: string): void => this.#write('warn', obj, msg);
  readonly info = (obj: object, msg?: string): void => this.#write('info', obj, msg);
  readonly debug = (obj: object, msg?: string): void => this.#write('debug', obj, msg);
  readonly trace = (obj: object, msg?: string): void => this.#write('trace', obj, msg);

  child(bindings: Record<string, unknown>): Logger {
    return new LazyLogger(this.#root, this.#threshold, [...this.#bindings, bindings]);
  }

  isLevelEnabled(level: Level): boolean {
    return LEVEL_VALUES[level] >= this.#threshold;
  }

  #write(level: Level, obj: object, msg: string | undefined): void {
    if (LEVEL_VALUES[level] < this.#threshold) return;
    this.#pino ??= this.#bindings.reduce((log, b) => log.child(b), this.#root());
    this.#pino[level](obj, msg);
  }
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
