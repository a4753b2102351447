import { createServer } from 'node:net';
import type { Config } from '../../contracts/config.js';
import { loadConfig, type LoadOptions } from '../../shared/config/load.js';
import { PropaneError } from '../../shared/errors.js';
import { createLogger, logEvent } from '../../shared/log.js';
import { createMembership } from '../membership/create.js';
import { createMetrics } from '../metrics.js';
import { removePidFile, writePidFile } from '../pid-file.js';
import { createServiceNotifier, type ServiceNotifier } from '../service-notifier.js';
import { buildStatus } from '../status-payload.js';
import { readTcpMigrateReq } from '../tcp-migrate-req.js';
import { StatusServer } from '../status-server.js';
import { Supervisor } from '../supervisor.js';
import { VERSION } from '../version.js';
import { reportError } from './output.js';

/** `propane start`: run the supervisor in the foreground until it stops; resolves with the exit code. */
export async function startCommand(load: LoadOptions, json: boolean): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(load);
  } catch (err) {
    return reportError(err, json);
  }
  const { config } = loaded;
  const log = createLogger('supervisor', config.logLevel);
  let statusServer: StatusServer | null = null;
  let notifier: ServiceNotifier | null = null;
  try {
    const port = config.port === 0 ? await findFreePort(config.host) : config.port;
    const membership = createMembership(config, log);
    // systemd's Type=notify (docs/deploy.md): nothing at all without NOTIFY_SOCKET.
    notifier = createServiceNotifier(process.env, log);
    const sup = new Supervisor({ loaded, reloadConfig: () => loadConfig(load), membership, log, version: VERSION, port, onChange: () => notifier?.changed() });
    const metrics = createMetrics(sup);
    const server = new StatusServer(
      {
        // Both ask the workers for their sessions first, so the counts are those of now.
        status: async () => {
          await sup.refreshSessions();
          return buildStatus(sup);
        },
        metrics: async () => {
          await sup.refreshSessions();
          return metrics.metrics();
        },
        reload: () => sup.reload(),
        stop: () => void sup.shutdown('POST /stop'),
      },
      {
        socketPath: config.status.socket,
        tcp: config.status.port === null ? null : { host: config.status.host, port: config.status.port },
        token: config.status.token,
        readsRequireToken: config.security.statusReadsRequireToken,
      },
      log,
    );
    statusServer = server;
    await server.listen();
    if (config.propane.pidFile) writePidFile(config.propane.pidFile);
    installSignals(sup);
    // Logged before the first fork, so a start reads in order: supervisor_started, worker_forked, worker_ready, listening.
    logEvent(log, 'info', 'supervisor_started', startSummary(config, port, server), `propane ${VERSION} supervising ${config.workers} workers on ${config.host}:${port}`);
    notifier?.watch(sup);
    await sup.start();
    const code = await sup.stopped;
    await notifier?.close();
    await server.close();
    if (config.propane.pidFile) removePidFile(config.propane.pidFile);
    logEvent(log, 'info', 'supervisor_stopped', { exit_code: code }, 'supervisor stopped');
    return code;
  } catch (err) {
    await notifier?.close();
    await statusServer?.close();
    if (config.propane.pidFile) removePidFile(config.propane.pidFile);
    if (err instanceof PropaneError) logEvent(log, 'fatal', 'supervisor_stopped', { code: err.code }, err.message);
    return reportError(err, json);
  }
}

function installSignals(sup: Supervisor): void {
  process.on('SIGTERM', () => void sup.shutdown('SIGTERM'));
  process.on('SIGINT', () => void sup.shutdown('SIGINT'));
  // The supervisor logs the outcome (reload_refused included) itself, once.
  process.on('SIGHUP', () => void sup.reload());
}

function startSummary(config: Config, port: number, server: StatusServer): Record<string, unknown> {
  return {
    version: VERSION,
    node_version: process.version,
    workers: config.workers,
    host: config.host,
    port,
    status_socket: config.status.socket,
    status_port: server.tcpPort,
    scheduling_policy: config.propane.schedulingPolicy,
    // Whether a closing SO_REUSEPORT socket hands its queued connections on (docs/scheduling.md).
    tcp_migrate_req: readTcpMigrateReq(),
    security_profile: config.securityProfile,
    limits: { http: config.runtimeLimits.maxConcurrentHTTPSessions, websocket: config.runtimeLimits.maxConcurrentWebSocketSessions },
    app: config.app ?? 'embedded default app',
  };
}

/**
 * `--port 0`: the supervisor picks the port once, so that every worker,
 * respawns included, listens on the same one; node:cluster shares a
 * listener per (address, port) key, and port 0 would be a new key.
 */
function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new PropaneError('PROPANE_ERR_LISTEN', `cannot find a free port on ${host}: ${err.code ?? err.message}. Fix: check --host.`)));
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const addr = probe.address();
      probe.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no address'))));
    });
  });
}
