import { PropaneError } from '../shared/errors.js';
import { logEvent, type Logger } from '../shared/log.js';

/** Listen errors that no respawn can fix: fail the start instead of crash-looping. */
const FATAL_LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EINVAL']);

export interface ServedAt {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

/**
 * What the first boots of a start tell the supervisor: the node serves
 * (logged once, as `listening` with its URL), or a worker could not listen
 * for a reason no respawn fixes, such as a port that another process holds,
 * which must fail the start rather than crash-loop.
 */
export class StartOutcome {
  readonly #log: Logger;
  readonly #at: ServedAt;
  #served = false;

  constructor(log: Logger, at: ServedAt) {
    this.#log = log;
    this.#at = at;
  }

  /** A worker is ready; the first one makes the node serve. */
  workerReady(): void {
    if (this.#served) return;
    this.#served = true;
    const { host, port, secure } = this.#at;
    const url = `${secure ? 'https' : 'http'}://${host}:${port}`;
    logEvent(this.#log, 'info', 'listening', { host, port, url }, `serving on ${url}`);
  }

  /** The error that stops the start, when a boot failure before the node ever served is one no respawn fixes; else null. */
  fatalBootFailure(phase: string, code: string | undefined): PropaneError | null {
    if (this.#served || phase !== 'listen' || !FATAL_LISTEN_CODES.has(code ?? '')) return null;
    const { host, port } = this.#at;
    return new PropaneError('PROPANE_ERR_LISTEN', `cannot listen on ${host}:${port}: ${code}. Fix: stop what holds the port, or choose another with --port.`);
  }
}
