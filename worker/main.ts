// The entry point of every worker process: parse the boot message, load the
// app, listen, report to the supervisor, and serve until told to drain.
import type { WorkerToSupervisor } from '../contracts/ipc.js';
import { IPC_SCHEMA_VERSION, WORKER_BOOT_ENV } from '../contracts/ipc-constants.js';
import { checkSupervisorToWorker, checkWorkerBoot } from '../contracts/worker-checks.js';
import { assertNever } from '../shared/assert-never.js';
import { createIpcReceiver } from '../shared/ipc-receiver.js';
import { leasePolicy } from '../shared/lease-policy.js';
import { createLogger } from '../shared/log.js';
import { Admission } from './admission.js';
import { loadApp, type LoadedApp } from './app-loader.js';
import { failBoot } from './boot-failure.js';
import { ClusterView } from './cluster-view.js';
import { HandedSockets } from './handed-sockets.js';
import { ListenerFence } from './listener-fence.js';
import { guardAgainstOrphaning } from './orphan-guard.js';
import { WorkerServer } from './server.js';
import { handleShutdownSignals, WorkerShutdown } from './shutdown.js';
import { WorkerCounters } from './stats.js';

/**
 * Best effort: a closed channel has nobody to tell, and a send that fails
 * (the channel closing meanwhile) goes to the callback instead of an
 * 'error' event that would crash the worker.
 */
function send(msg: WorkerToSupervisor): void {
  if (process.connected) process.send?.(msg, undefined, undefined, noop);
}

function noop(): void {}

async function main(): Promise<void> {
  const boot = checkWorkerBoot(JSON.parse(process.env[WORKER_BOOT_ENV] ?? 'null'));
  if (!boot.ok) {
    process.stderr.write(`propane worker: ${WORKER_BOOT_ENV} is missing or invalid; workers are started by the supervisor\n`);
    process.exit(1);
  }
  const { slot, config, port, listen_via, cluster_state } = boot.value;
  const log = createLogger('worker', config.logLevel).child({ slot });
  // No exit is planned before the worker can drain; from then on the shutdown knows.
  let isPlannedExit = (): boolean => false;
  guardAgainstOrphaning(log, () => isPlannedExit());

  let app: LoadedApp;
  try {
    app = await loadApp(config.app);
  } catch (err) {
    return failBoot(log, send, 'load', err);
  }
  try {
    await app.ready();
  } catch (err) {
    return failBoot(log, send, 'ready', err);
  }

  const view = new ClusterView(cluster_state, config.cluster.emitHeaders);
  const counters = new WorkerCounters();
  const admission = {
    http: new Admission('http', leasePolicy(config.runtimeLimits.maxConcurrentHTTPSessions, config.workers), send),
    websocket: new Admission('websocket', leasePolicy(config.runtimeLimits.maxConcurrentWebSocketSessions, config.workers), send),
  };
  const server = new WorkerServer({ config, app, view, counters, admission, log });
  const handed = listen_via === 'supervisor' ? new HandedSockets(server, send, log) : null;
  // On handed sockets no connection travels over IPC, so a drain has nothing to fence off (listener-fence.ts).
  const fence = handed ? null : new ListenerFence(send);
  const shutdown = new WorkerShutdown({ server, app, counters, fence, log });
  isPlannedExit = () => shutdown.isExiting;

  process.on(
    'message',
    createIpcReceiver(checkSupervisorToWorker, log, 'supervisor', (msg, attached) => {
      switch (msg.type) {
        case 'heartbeat':
          return send({ type: 'heartbeat_ack', schema_version: IPC_SCHEMA_VERSION, seq: msg.seq, stats: counters.snapshot() });
        case 'lease_grant':
          return admission[msg.kind].onGrant(msg.seq, msg.count);
        case 'lease_reclaim':
          return admission[msg.kind].onReclaim(msg.seq);
        case 'limit_reached':
          return admission[msg.kind].onLimitReached(msg.generation, msg.reached);
        case 'cluster_state':
          view.update(msg.state);
          return;
        case 'drain':
          return shutdown.drainAndExit(msg.reason, msg.grace_ms, msg.websocket_close_code);
        case 'listener_closed_ack':
          return fence?.onAck(msg.seq);
        case 'sessions_query':
          return send({ type: 'sessions_report', schema_version: IPC_SCHEMA_VERSION, seq: msg.seq, sessions: { ...counters.sessions } });
        case 'tls_material':
          return server.tls?.onMaterial(msg);
        case 'tls_ticket_keys':
          return server.tls?.onTicketKeys(msg.ticket_keys);
        case 'listener_socket':
          return handed?.onSocket(msg.socket, msg.adopted, attached);
        case 'listener_release':
          return server.release(msg.socket);
        default:
          return assertNever(msg);
      }
    }),
  );

  let bound: { address: string; port: number };
  try {
    // With TLS, no connection is accepted before the certificates and ticket keys came from the supervisor.
    await server.tls?.receive(() => send({ type: 'tls_material_request', schema_version: IPC_SCHEMA_VERSION }));
    bound = handed ? await handed.listenOwn() : await server.listen(config.host, port);
  } catch (err) {
    return failBoot(log, send, 'listen', err);
  }
  send({ type: 'worker_listening', schema_version: IPC_SCHEMA_VERSION, address: bound.address, port: bound.port });
  send({ type: 'worker_ready', schema_version: IPC_SCHEMA_VERSION });
  handleShutdownSignals(shutdown, Math.round(config.propane.gracefulShutdownSeconds * 1000));
}

main().catch((err: unknown) => {
  if (process.exitCode === 1) return;
  process.stderr.write(`propane worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
