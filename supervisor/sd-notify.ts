import { execFile, type ExecFileException } from 'node:child_process';
import { logEvent, type Logger } from '../shared/log.js';

/**
 * The environment a service manager hands the supervisor (sd_notify(3),
 * sd_watchdog_enabled(3)). It is the supervisor's alone: supervisor/fork.ts
 * keeps it out of the workers, or an app library that sees NOTIFY_SOCKET
 * could send READY=1 itself, and NotifyAccess=all would take it.
 */
export const NOTIFY_ENV_KEYS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/** Debian's, in the systemd package; found on PATH. */
const BINARY = 'systemd-notify';
/** Long enough for systemd-notify's own barrier timeout (5 s) to end first. */
const SEND_TIMEOUT_MS = 10_000;

/**
 * Messages waiting to be sent, oldest first. A watchdog ping already waiting
 * makes another one moot, and a status line still waiting is superseded by a
 * newer one; every other message is kept, in order.
 */
export function enqueue(queue: readonly (readonly string[])[], fields: readonly string[]): string[][] {
  const out = queue.map((m) => [...m]);
  if (isOnly(fields, 'WATCHDOG=') && out.some((m) => m.includes('WATCHDOG=1'))) return out;
  if (isOnly(fields, 'STATUS=') && out.length > 0 && isOnly(out[out.length - 1]!, 'STATUS=')) out.pop();
  out.push(fields.map(oneLine));
  return out;
}

function isOnly(fields: readonly string[], prefix: string): boolean {
  return fields.length === 1 && fields[0]!.startsWith(prefix);
}

/**
 * systemd-notify joins its arguments with newlines, so a newline inside one
 * (an app's error message in a reload's reason) would inject a field such as
 * READY=1. Control characters become spaces.
 */
export function oneLine(field: string): string {
  return field.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/**
 * sd_notify for the supervisor, through Debian's `systemd-notify` binary,
 * spawned with execFile (no shell; every argument a positional `KEY=VALUE`).
 * Why a helper process: Node cannot send a unix datagram (dgram has no
 * AF_UNIX datagram type, and net.connect to a datagram socket fails with
 * EPROTOTYPE), and the npm packages that can need native builds or install
 * scripts. systemd-notify comes with systemd, wherever NOTIFY_SOCKET is set.
 * What follows from it:
 * - the datagram's sender is the helper, not MAINPID, so the unit needs
 *   `NotifyAccess=all` (deploy/systemd/propane.service);
 * - the helper blocks until the manager has processed the message (its
 *   BARRIER=1), which keeps the message attributed to the unit; `--no-block`
 *   would lose that;
 * - each message costs a spawn (about 5 ms), so messages go one at a time,
 *   which also keeps READY/RELOADING/STOPPING in order, and queued
 *   watchdog pings and status lines are coalesced (enqueue).
 * A missing binary stops the notifications; a failing one is retried with the
 * next message (a barrier timeout under load still delivered the message).
 * Either is logged once as sd_notify_unavailable.
 */
export class SdNotify {
  readonly #socket: string;
  /** Only what systemd-notify needs; the rest of the supervisor's environment (secrets included) stays out. */
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: Logger;
  #queue: string[][] = [];
  #pump: Promise<void> = Promise.resolve();
  #busy = false;
  #closed = false;
  #disabled = false;
  #complained = false;

  /** `path` is the PATH to find systemd-notify on, read at start like the rest of the environment. */
  constructor(socket: string, path: string | undefined, log: Logger) {
    this.#socket = socket;
    this.#env = { PATH: path ?? '/usr/bin:/bin', NOTIFY_SOCKET: socket };
    this.#log = log;
  }

  send(fields: readonly string[]): void {
    if (this.#disabled || this.#closed || fields.length === 0) return;
    this.#queue = enqueue(this.#queue, fields);
    if (!this.#busy) this.#pump = this.#drain();
  }

  /** Sends nothing more; resolves once what was queued is sent, or after timeoutMs (the rest is dropped). Safe twice. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#pump, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.#queue = [];
  }

  /** One message at a time; `busy` is cleared in the same turn the queue is found empty, so no message is stranded. */
  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      for (let next = this.#queue.shift(); next && !this.#disabled; next = this.#queue.shift()) await this.#run(next);
    } finally {
      this.#busy = false;
    }
  }

  #run(fields: string[]): Promise<void> {
    return new Promise((resolve) => {
      execFile(BINARY, fields, { env: this.#env, timeout: SEND_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
        if (err) this.#failed(err, stderr);
        resolve();
      });
    });
  }

  #failed(err: ExecFileException, stderr: string): void {
    const cannotRun = err.code === 'ENOENT' || err.code === 'EACCES';
    if (cannotRun) {
      this.#disabled = true;
      this.#queue = [];
    }
    if (this.#complained) return;
    this.#complained = true;
    const detail = cannotRun
      ? `${BINARY} cannot run (${String(err.code)}); no service manager notification will be sent. Fix: install systemd (Debian: apt-get install systemd), or unset NOTIFY_SOCKET`
      : `${BINARY} failed (${err.killed ? 'timed out' : `exit ${String(err.code)}`}: ${stderr.trim() || err.message}); notifications to NOTIFY_SOCKET=${this.#socket} may be lost. Fix: check NotifyAccess=all and the socket path`;
    logEvent(this.#log, 'warn', 'sd_notify_unavailable', { socket: this.#socket, binary: BINARY, error_code: err.code ?? null }, detail);
  }
}
