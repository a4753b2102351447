import { IPC_SCHEMA_VERSION } from '../contracts/ipc-constants.js';
import type { WorkerToSupervisor } from '../contracts/ipc.js';
import type { ErrorCode } from '../shared/errors.js';
import { logEvent, type Logger } from '../shared/log.js';

export type BootPhase = Extract<WorkerToSupervisor, { type: 'worker_boot_failed' }>['phase'];

/** docs/errors.md: an app that fails to load or to become ready is PROPANE_ERR_APP_LOAD, a port that cannot be bound PROPANE_ERR_LISTEN. */
const CODES: Record<BootPhase, ErrorCode> = { load: 'PROPANE_ERR_APP_LOAD', ready: 'PROPANE_ERR_APP_LOAD', listen: 'PROPANE_ERR_LISTEN' };
const FAILED_TO: Record<BootPhase, string> = { load: 'load the app', ready: 'become ready', listen: 'listen' };

/**
 * A worker that cannot boot logs why, tells the supervisor (which shows it
 * in the slot's last_exit and applies the crash-loop policy), and exits 1.
 * The short delay lets the IPC message leave; the throw stops the boot.
 */
export function failBoot(log: Logger, send: (msg: WorkerToSupervisor) => void, phase: BootPhase, err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  logEvent(log, 'error', 'worker_boot_failed', { phase, error_code: CODES[phase], err: e }, `worker failed to ${FAILED_TO[phase]}`);
  send({ type: 'worker_boot_failed', schema_version: IPC_SCHEMA_VERSION, phase, error: { name: e.name, message: e.message, ...(code ? { code: String(code) } : {}), ...(e.stack ? { stack: e.stack.slice(0, 4000) } : {}) } });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 50);
  throw e;
}
