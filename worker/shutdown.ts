import { logEvent, type Logger } from '../shared/log.js';
import type { LoadedApp } from './app-loader.js';
import type { ListenerFence } from './listener-fence.js';
import type { WorkerServer } from './server.js';
import type { WorkerCounters } from './stats.js';

export interface WorkerShutdownDeps {
  server: WorkerServer;
  app: LoadedApp;
  counters: WorkerCounters;
  /** null under reuse_port, where no connection is in flight over IPC. */
  fence: ListenerFence | null;
  log: Logger;
}

/**
 * How a worker ends: drained (the supervisor's `drain`, or SIGTERM) or at
 * once (a second SIGTERM). `isExiting` tells the orphan guard the IPC
 * channel is about to close on purpose.
 */
export class WorkerShutdown {
  readonly #deps: WorkerShutdownDeps;
  #draining = false;
  #exiting = false;

  constructor(deps: WorkerShutdownDeps) {
    this.#deps = deps;
  }

  get isExiting(): boolean {
    return this.#exiting;
  }

  /** Stop accepting, finish what is in flight, close the app, exit 0. Runs once, whoever asks first. */
  drainAndExit(reason: string, graceMs: number, closeCode: 1001 | 1012): void {
    if (this.#draining) return;
    this.#draining = true;
    const { server, app, counters, fence, log } = this.#deps;
    logEvent(log, 'info', 'worker_draining', { reason, grace_ms: graceMs }, 'draining');
    void server.drain(graceMs, closeCode, () => fence?.pass() ?? Promise.resolve()).then(async () => {
      await app.close().catch((err: unknown) => logEvent(log, 'error', 'app_error', { err }, 'the app failed to close'));
      logEvent(log, 'info', 'worker_drained', { reason }, 'drained');
      this.#exiting = true;
      server.destroy();
      counters.close();
      process.exit(0);
    });
  }

  exitNow(): void {
    this.#exiting = true;
    this.#deps.server.destroy();
    process.exit(0);
  }
}

/**
 * SIGINT and SIGHUP reach workers too when sent to the process group (Ctrl-C
 * in a terminal); the supervisor acts on them. SIGTERM also reaches every
 * worker at once under systemd's default KillMode=control-group, so it drains
 * this worker gracefully, as gunicorn's workers do, instead of cutting its
 * in-flight requests; a second SIGTERM exits at once.
 */
export function handleShutdownSignals(shutdown: WorkerShutdown, graceMs: number): void {
  // Counted, not read from the drain state: the supervisor's drain message often arrives before the
  // group's SIGTERM is handled here, and that first SIGTERM must not count as the second.
  let sigterms = 0;
  process.on('SIGINT', noop);
  process.on('SIGTERM', () => {
    if (++sigterms === 1) return shutdown.drainAndExit('SIGTERM', graceMs, 1001);
    shutdown.exitNow();
  });
  process.on('SIGHUP', noop);
}

function noop(): void {}
