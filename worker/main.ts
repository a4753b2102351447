import { IPC_SCHEMA_VERSION, SupervisorToWorker, WORKER_BOOT_ENV, WorkerBoot, type WorkerToSupervisor } from '../contracts/ipc.js';
import { assertNever } from '../shared/assert-never.js';
import { createIpcReceiver } from '../shared/ipc-receiver.js';
import { leasePolicy } from '../shared/lease-policy.js';
import { createLogger, logEvent } from '../shared/log.js';
import { Admission } from './admission.js';
import { failBoot, type BootPhase } from './boot-failure.js';
import { loadApp, type LoadedApp } from './app-loader.js';
import { ClusterView } from './cluster-view.js';
import { guardAgainstOrphaning } from './orphan-guard.js';
import { WorkerServer } from './server.js';
import { WorkerCounters } from './stats.js';

/** Entry point of every worker process: parse the boot message, load the app, listen, report. */
function send(msg: WorkerToSupervisor): void {
  if (process.connected) process.send?.(msg, undefined, undefined, noop);
}

function noop(): void {}

async function main(): Promise<void> {
  const boot = WorkerBoot.safeParse(JSON.parse(process.env[WORKER_BOOT_ENV] ?? 'null'));
  if (!boot.success) {
    process.stderr.write(`propane worker: ${WORKER_BOOT_ENV} is missing or invalid; workers are started by the supervisor\n`);
    process.exit(1);
  }
  const { slot, config, port, cluster_state } = boot.data;
  const log = createLogger('worker', config.logLevel).child({ slot });
  let exiting = false;
  guardAgainstOrphaning(log, () => exiting);

  const fail = (phase: BootPhase, err: unknown): never => failBoot(log, send, phase, err);

  let app: LoadedApp;
  try {
    app = await loadApp(config.app);
  } catch (err) {
    return fail('load', err);
  }
  try {
    await app.ready();
  } catch (err) {
    return fail('ready', err);
  }

  const view = new ClusterView(cluster_state, config.cluster.emitHeaders);
  const counters = new WorkerCounters();
  const admission = {
    http: new Admission('http', leasePolicy(config.runtimeLimits.maxConcurrentHTTPSessions, config.workers), send),
    websocket: new Admission('websocket', leasePolicy(config.runtimeLimits.maxConcurrentWebSocketSessions, config.workers), send),
  };
  const server = new WorkerServer({ config, app, view, counters, admission, log });

  const fences = new Map<number, () => void>();
  /**
   * An IPC round trip after the listener closed: the channel is FIFO, so once
   * the supervisor's answer is here, every connection handle the primary sent
   * before it processed the close has been delivered (and handed back).
   * Bounded, in case the supervisor is gone.
   */
  const fence = (): Promise<void> =>
    new Promise((resolve) => {
      const seq = fences.size + 1;
      const timer = setTimeout(done, 1000);
      function done(): void {
        clearTimeout(timer);
        fences.delete(seq);
        resolve();
      }
      fences.set(seq, done);
      send({ type: 'listener_closed', schema_version: IPC_SCHEMA_VERSION, seq });
    });

  let draining = false;
  /** Stop accepting, finish what is in flight, close the app, exit 0. Runs once, whoever asks first. */
  const drainAndExit = (reason: string, graceMs: number, closeCode: 1001 | 1012): void => {
    if (draining) return;
    draining = true;
    logEvent(log, 'info', 'worker_draining', { reason, grace_ms: graceMs }, 'draining');
    void server.drain(graceMs, closeCode, fence).then(async () => {
      await app.close().catch((err: unknown) => logEvent(log, 'error', 'app_error', { err }, 'the app failed to close'));
      logEvent(log, 'info', 'worker_drained', { reason }, 'drained');
      exiting = true;
      send({ type: 'worker_drained', schema_version: IPC_SCHEMA_VERSION });
      server.destroy();
      counters.close();
      // pino writes asynchronously; exiting with a write in flight lets the exit-time flush overtake it.
      log.flush(() => process.exit(0));
    });
  };

  process.on(
    'message',
    createIpcReceiver(SupervisorToWorker, log, 'supervisor', (msg) => {
      switch (msg.type) {
        case 'heartbeat':
          return send({ type: 'heartbeat_ack', schema_version: IPC_SCHEMA_VERSION, seq: msg.seq, stats: counters.snapshot() });
        case 'lease_grant':
          return admission[msg.kind].onGrant(msg.seq, msg.count);
        case 'lease_reclaim':
          return admission[msg.kind].onReclaim(msg.seq);
        case 'cluster_state':
          view.update(msg.state);
          return;
        case 'drain':
          return drainAndExit(msg.reason, msg.grace_ms, msg.websocket_close_code);
        case 'listener_closed_ack':
          return fences.get(msg.seq)?.();
        default:
          return assertNever(msg);
      }
    }),
  );

  let bound: { address: string; port: number };
  try {
    bound = await server.listen(config.host, port);
  } catch (err) {
    return fail('listen', err);
  }
  send({ type: 'worker_listening', schema_version: IPC_SCHEMA_VERSION, address: bound.address, port: bound.port });
  send({ type: 'worker_ready', schema_version: IPC_SCHEMA_VERSION });

  // SIGINT and SIGHUP reach workers too when sent to the process group (Ctrl-C in a terminal);
  // the supervisor acts on them. SIGTERM also reaches every worker at once under systemd's default
  // KillMode=control-group, so it drains this worker gracefully, as gunicorn's workers do, instead
  // of cutting its in-flight requests; a second SIGTERM exits at once.
  // Counted, not read from `draining`: the supervisor's drain message often arrives before the
  // group's SIGTERM is handled here, and that first SIGTERM must not count as the second.
  let sigterms = 0;
  process.on('SIGINT', noop);
  process.on('SIGTERM', () => {
    if (++sigterms === 1) return drainAndExit('SIGTERM', Math.round(config.propane.gracefulShutdownSeconds * 1000), 1001);
    exiting = true;
    server.destroy();
    process.exit(0);
  });
  process.on('SIGHUP', noop);
}

main().catch((err: unknown) => {
  if (process.exitCode === 1) return;
  process.stderr.write(`propane worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
