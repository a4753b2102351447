import cluster, { type Worker } from 'node:cluster';
import type { ClusterState } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import type { ReloadResponse, SupervisorState } from '../contracts/status.js';
import type { LoadedConfig } from '../shared/config/load.js';
import { PropaneError } from '../shared/errors.js';
import { logEvent, type Logger } from '../shared/log.js';
import { AdmissionBroker, sessionLimits } from './admission-broker.js';
import { ClusterBroadcast } from './cluster-broadcast.js';
import { setupCluster } from './fork.js';
import { HeartbeatMonitor } from './heartbeat-monitor.js';
import type { InheritedSocket } from './inherited-socket.js';
import { ListenerSockets, type SocketHandover } from './listener-sockets.js';
import { stopWithin, type MembershipSnapshot, type MembershipSource } from './membership/source.js';
import { MemoryGuard } from './memory-guard.js';
import { NodeTotals } from './node-totals.js';
import { ReloadHistory, type ReloadView } from './reload-history.js';
import { keepRestartOnly } from './restart-only.js';
import { runRollingReload, type ReloadTarget } from './rolling-reload.js';
import { SessionTotals, type SessionView } from './session-totals.js';
import { SessionsQuery } from './sessions-query.js';
import { StartOutcome } from './start-outcome.js';
import { TlsMaterialStore } from './tls-material.js';
import type { SupervisorView, TotalsView } from './supervisor-view.js';
import { receiveWorkerMessages } from './worker-messages.js';
import { WorkerPool, type PoolView } from './worker-pool.js';
import type { WorkerProcess } from './worker-process.js';

export interface SupervisorOptions {
  loaded: LoadedConfig;
  /** Re-reads file, environment and flags for a reload; throws ConfigErrors when invalid. */
  reloadConfig: () => LoadedConfig;
  membership: MembershipSource;
  log: Logger;
  version: string;
  /** Where the node serves: the config's host and port (a free one for port 0), or the inherited socket's address. */
  host: string;
  port: number;
  /** The listening socket a service manager passed (socket-activation.ts), or null to bind. */
  inherited: InheritedSocket | null;
  /** Called after every change of the supervisor's state or of a worker's readiness (the service manager hears of it: service-notifier.ts). */
  onChange?: () => void;
}

/**
 * The cluster primary. It keeps the supervisor's state and config, admits
 * reloads, runs the shutdown, and dispatches what the workers send to the
 * collaborators that act on it: the worker pool, the admission broker, the
 * heartbeat monitor, the memory guard. It runs no app code.
 */
export class Supervisor implements SupervisorView {
  readonly startedAt = new Date();
  readonly host: string;
  readonly port: number;
  readonly version: string;
  readonly #totals = new NodeTotals();
  readonly totals: TotalsView = this.#totals;
  readonly #reloads = new ReloadHistory();
  readonly reloads: ReloadView = this.#reloads;
  readonly #pool: WorkerPool;
  readonly pool: PoolView;
  readonly sessions: SessionView;
  readonly tls: TlsMaterialStore;
  #state: SupervisorState = 'starting';
  #config: Config;
  readonly #start: StartOutcome;
  readonly #opts: SupervisorOptions;
  readonly #log: Logger;
  readonly #membership: MembershipSource;
  readonly #broadcast: ClusterBroadcast;
  readonly #broker: AdmissionBroker;
  readonly #heartbeats: HeartbeatMonitor;
  readonly #memory: MemoryGuard;
  readonly #sessionsQuery: SessionsQuery;
  /** The inherited socket, or the SO_REUSEPORT sockets under reuse_port; null when workers listen through node:cluster. */
  readonly #listeners: SocketHandover | null;
  #stopped!: (code: number) => void;
  /** Resolves with the exit code once the supervisor has stopped. */
  readonly stopped = new Promise<number>((resolve) => (this.#stopped = resolve));

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#config = opts.loaded.config;
    this.host = opts.host;
    this.port = opts.port;
    this.version = opts.version;
    this.#log = opts.log;
    this.#membership = opts.membership;
    this.tls = new TlsMaterialStore(opts.loaded, opts.log);
    this.#start = new StartOutcome(opts.log, { host: opts.host, port: opts.port, secure: this.tls.enabled });
    const log = opts.log;
    const config = (): Config => this.#config;
    const push = (): void => this.#broadcast.push();
    const isServing = (): boolean => this.#state === 'running' || this.#state === 'reloading';
    const changed = (): void => (this.#listeners?.rebalance(), push());
    const reusePort = this.#config.propane.schedulingPolicy === 'reuse_port';
    const pool = new WorkerPool({ log, port: opts.port, listenVia: opts.inherited || reusePort ? 'supervisor' : 'cluster', config, clusterState: () => this.#broadcast.current, isServing, changed });
    this.pool = this.#pool = pool;
    this.#broker = new AdmissionBroker(sessionLimits(this.#config), pool, log);
    const query = (this.#sessionsQuery = new SessionsQuery(() => pool.workers()));
    const sessions = new SessionTotals(this.#broker.ledgers, () => pool.workers(), (wp) => query.isStale(wp));
    this.sessions = sessions;
    this.#broadcast = new ClusterBroadcast({ config, membership: opts.membership, isShuttingDown: () => this.#isShuttingDown(), sessionTotals: () => sessions.total(), pool });
    const workerTimeoutSeconds = (): number => this.#config.propane.workerTimeoutSeconds;
    this.#heartbeats = new HeartbeatMonitor({ log, workerTimeoutSeconds, workers: () => pool.workers(), slotOf: (wp) => pool.slotOf(wp), afterTick: push });
    const mayRecycle = (): boolean => !this.#reloads.inProgress && this.#state === 'running';
    this.#memory = new MemoryGuard({ log, config, mayRecycle, slotOf: (wp) => pool.slotOf(wp), replace: (slot, reason) => pool.replace(slot, reason) });
    this.#listeners = opts.inherited ?? (reusePort ? new ListenerSockets({ log, host: opts.host, port: opts.port, pool }) : null);
  }

  get state(): SupervisorState {
    return this.#state;
  }

  get config(): Config {
    return this.#config;
  }

  get clusterState(): ClusterState {
    return this.#broadcast.current;
  }

  get membership(): MembershipSnapshot {
    return this.#membership.snapshot();
  }

  async start(): Promise<void> {
    const c = this.#config;
    this.#broadcast.push(); // a first cluster state, so that /status answers while the start waits below
    // Bound before anything starts, so that a port taken fails the start at once.
    await this.#listeners?.open(c.workers);
    if (this.#isShuttingDown()) return; // a SIGTERM meanwhile: shutdown() finishes alone, nothing was forked
    setupCluster(c.propane.schedulingPolicy);
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    receiveWorkerMessages({
      log: this.#log,
      pool: this.#pool,
      broker: this.#broker,
      totals: this.#totals,
      memory: this.#memory,
      sessionsQuery: this.#sessionsQuery,
      listeners: this.#listeners,
      tls: this.tls,
      ready: (wp) => this.#onReady(wp),
      bootFailed: (wp, msg) => this.#onBootFailed(wp, msg),
    });
    this.tls.start(() => this.#pool.workers());
    await this.#membership.start(
      { nodeId: c.cluster.nodeId, host: this.host, port: this.port, pid: process.pid, version: this.version, startedAt: this.startedAt.toISOString() },
      () => this.#broadcast.push(),
    );
    if (this.#isShuttingDown()) return;
    this.#broadcast.push();
    this.#pool.fill(c.workers);
    this.#heartbeats.start();
    this.#setState('running');
  }

  /** Asks every serving worker for its sessions; GET /status and GET /metrics read them once this resolves (at most SESSIONS_QUERY_DEADLINE_MS). */
  refreshSessions(): Promise<void> {
    return this.#sessionsQuery.refresh();
  }

  /** SIGHUP, POST /reload: a rolling reload with the config read again, unless one runs or the node stops. */
  reload(): Promise<ReloadResponse> {
    const startedAt = new Date();
    if (this.#reloads.inProgress) return this.#refuse(startedAt, `a reload is already in progress (started at ${this.#reloads.last?.started_at ?? 'just now'}); wait for it to finish`);
    if (this.#state !== 'running') return this.#refuse(startedAt, `the supervisor is ${this.#state}${this.#state === 'starting' ? '; reload once it is running' : ''}`);
    let loaded: LoadedConfig;
    try {
      loaded = this.#opts.reloadConfig();
    } catch (err) {
      return this.#refuse(startedAt, `invalid config, nothing changed: ${err instanceof Error ? err.message.replaceAll('\n', '; ') : String(err)}`);
    }
    this.tls.register(loaded);
    return this.#reload(loaded.config, startedAt);
  }

  /** SIGTERM, SIGINT, POST /stop: drain everything, then stop. A second call forces it. */
  async shutdown(trigger: string): Promise<void> {
    if (this.#isShuttingDown()) return this.#forceStop(trigger);
    this.#setState('draining');
    logEvent(this.#log, 'info', 'shutdown_started', { trigger, grace_seconds: this.#config.propane.gracefulShutdownSeconds }, 'shutting down');
    this.#broadcast.push();
    this.#pool.cancelTimers();
    await stopWithin(this.#membership);
    // Each socket closes as its workers drain (nothing is adopted any more): new connections are refused, as under the node:cluster policies;
    // an inherited socket stays open only where the service manager holds a copy (systemd does: it activates the service again).
    this.#listeners?.close();
    for (const wp of this.#pool.workers()) this.#pool.drain(wp, 'shutdown');
    await this.#pool.allExited();
    this.#finish(0);
  }

  /** Every state change goes through here, and is logged once. */
  #setState(to: SupervisorState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    logEvent(this.#log, 'info', 'supervisor_state', { from, to }, `supervisor ${to}`);
    this.#opts.onChange?.();
  }

  #isShuttingDown(): boolean {
    return this.#state === 'draining' || this.#state === 'stopping';
  }

  async #reload(next: Config, startedAt: Date): Promise<ReloadResponse> {
    this.#setState('reloading');
    this.#reloads.begin(startedAt);
    try {
      const target: ReloadTarget = {
        log: this.#log,
        pool: this.#pool,
        applyConfig: (c) => this.#applyConfig(c),
        interruptedBy: () => (this.#state === 'reloading' ? null : this.#state),
      };
      const { record, durationMs } = await runRollingReload(target, next, startedAt);
      this.#listeners?.rebalance();
      this.#reloads.record(record, durationMs);
      this.#broadcast.push();
      return { schema_version: 1, outcome: record.outcome, reason: record.reason, started_at: record.started_at, finished_at: record.finished_at };
    } finally {
      this.#reloads.end();
      if (this.#state === 'reloading') this.#setState('running');
    }
  }

  #refuse(startedAt: Date, reason: string): Promise<ReloadResponse> {
    logEvent(this.#log, 'warn', 'reload_refused', { reason }, 'reload refused');
    return Promise.resolve({ schema_version: 1, ...this.#reloads.refused(startedAt, reason) });
  }

  #applyConfig(next: Config): Config {
    const previous = this.#config;
    const { config, kept } = keepRestartOnly(previous, next);
    if (kept.length > 0) logEvent(this.#log, 'warn', 'config_needs_restart', { keys: kept }, `the reload keeps ${kept.join(', ')} as they are; restart propane to change them`);
    this.#config = config;
    this.#broker.setLimits(sessionLimits(this.#config));
    this.tls.apply(this.#config);
    return previous;
  }

  #forceStop(trigger: string): void {
    logEvent(this.#log, 'warn', 'shutdown_forced', { trigger }, 'second signal: stopping now');
    for (const wp of this.#pool.workers()) wp.kill();
    this.#finish(0);
  }

  #finish(code: number): void {
    if (this.#state === 'stopping') return;
    this.#setState('stopping');
    this.#heartbeats.close();
    this.#sessionsQuery.close();
    this.tls.close();
    this.#listeners?.close();
    this.#pool.cancelTimers();
    void stopWithin(this.#membership).then(() => this.#stopped(code));
  }

  /** A fatal start error (the port is taken): stop everything and exit non-zero. */
  #fail(err: PropaneError): void {
    logEvent(this.#log, 'fatal', 'supervisor_stopped', { code: err.code, err: err.message }, err.message);
    for (const wp of this.#pool.workers()) {
      wp.planned = true;
      wp.kill();
    }
    this.#finish(err.exitCode);
  }

  #onReady(wp: WorkerProcess): void {
    this.#pool.markReady(wp);
    this.#listeners?.rebalance();
    this.#start.workerReady();
    this.#broadcast.push();
    this.#opts.onChange?.();
  }

  #onBootFailed(wp: WorkerProcess, { phase, error }: { phase: string; error: { message: string; code?: string | undefined } }): void {
    this.#pool.markBootFailed(wp, phase, error);
    const fatal = this.#start.fatalBootFailure(phase, error.code);
    if (fatal) this.#fail(fatal);
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const wp = this.#pool.get(worker.id);
    if (!wp) return;
    const nothingCanServe = this.#pool.onExit(wp, code, signal);
    // Its permits return to the pool at once, and its last report leaves the totals' bookkeeping.
    this.#broker.forget(wp.id);
    this.#totals.forget(wp.id);
    this.#listeners?.rebalance();
    if (nothingCanServe) {
      logEvent(this.#log, 'error', 'supervisor_stopped', { reason: 'no_respawn' }, 'every worker exited and --no-respawn is set; stopping');
      this.#finish(1);
    }
    this.#broadcast.push();
    this.#opts.onChange?.();
  }
}
