import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../contracts/config.js';
import { IPC_SCHEMA_VERSION, WorkerToSupervisor, type DrainReason, type SupervisorToWorker } from '../contracts/ipc.js';
import type { ReloadRecord, ReloadResponse, SupervisorState } from '../contracts/status.js';
import { assertNever } from '../shared/assert-never.js';
import type { LoadedConfig } from '../shared/config/load.js';
import { PropaneError } from '../shared/errors.js';
import { createIpcReceiver } from '../shared/ipc-receiver.js';
import { logEvent, type Logger } from '../shared/log.js';
import { AdmissionBroker } from './admission-broker.js';
import { ClusterStateKeeper } from './cluster-state.js';
import { NO_CRASHES, recordExit } from './crash-loop.js';
import { forkWorker, setupCluster } from './fork.js';
import { heartbeatIntervalMs, isHung, Ticker } from './heartbeat.js';
import type { MembershipSource } from './membership/source.js';
import { NodeTotals } from './node-totals.js';
import { runRollingReload } from './rolling-reload.js';
import { Slot } from './slot.js';
import type { ExitCause, WorkerProcess } from './worker-process.js';
import { WorkerProcess as Proc } from './worker-process.js';

export interface SupervisorOptions {
  loaded: LoadedConfig;
  /** Re-reads file, environment and flags for a reload; throws ConfigErrors when invalid. */
  reloadConfig: () => LoadedConfig;
  membership: MembershipSource;
  log: Logger;
  version: string;
  port: number;
}

/** A draining worker past its grace period gets this long to close WebSockets and the app before SIGKILL. */
export const DRAIN_KILL_MARGIN_MS = 2000;
/** Listen errors that no respawn can fix: fail the start instead of crash-looping. */
const FATAL_LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EINVAL']);

/**
 * The cluster primary: forks the workers, keeps every slot filled, runs the
 * crash-loop policy, heartbeats, leases session permits, owns cluster state,
 * and drives reloads and shutdown. It runs no app code.
 */
export class Supervisor {
  state: SupervisorState = 'starting';
  config: Config;
  readonly startedAt = new Date();
  readonly slots: Slot[] = [];
  readonly procs = new Map<number, WorkerProcess>();
  readonly port: number;
  readonly version: string;
  readonly log: Logger;
  readonly broker: AdmissionBroker;
  readonly totals = new NodeTotals();
  readonly keeper = new ClusterStateKeeper();
  readonly membership: MembershipSource;
  readonly exitCounts: Record<ExitCause, number> = { crash: 0, killed_hung: 0, planned: 0, boot_failure: 0 };
  readonly reloadCounts = { completed: 0, refused: 0, aborted: 0 };
  readonly reloadDurations: number[] = [];
  lastReload: ReloadRecord | null = null;
  #reloading: Promise<ReloadResponse> | null = null;
  #everReady = false;
  /** Old workers that replace() asked to drain; a reload completes once they are gone. */
  readonly #draining: WorkerProcess[] = [];
  readonly #ticker = new Ticker();
  readonly #opts: SupervisorOptions;
  #stopped!: (code: number) => void;
  /** Resolves with the exit code once the supervisor has stopped. */
  readonly stopped = new Promise<number>((resolve) => (this.#stopped = resolve));

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.config = opts.loaded.config;
    this.port = opts.port;
    this.version = opts.version;
    this.log = opts.log;
    this.membership = opts.membership;
    const limits = this.#limits(this.config);
    this.broker = new AdmissionBroker(limits, (id, msg) => this.procs.get(id)?.send(msg), (id) => this.procs.get(id)?.isAlive ?? false);
  }

  get isReloading(): boolean {
    return this.#reloading !== null;
  }

  async start(): Promise<void> {
    setupCluster(this.config.propane.schedulingPolicy);
    cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    const receive = new Map<number, (raw: unknown) => void>();
    cluster.on('message', (worker: Worker, raw: unknown) => {
      let handler = receive.get(worker.id);
      if (!handler) {
        handler = createIpcReceiver(WorkerToSupervisor, this.log, `worker ${worker.id}`, (msg) => this.#onMessage(worker.id, msg));
        receive.set(worker.id, handler);
      }
      handler(raw);
    });
    cluster.on('exit', (worker) => receive.delete(worker.id));

    await this.membership.start(
      { nodeId: this.config.cluster.nodeId, host: this.config.host, port: this.port, pid: process.pid, version: this.version, startedAt: this.startedAt.toISOString() },
      () => this.pushClusterState(),
    );
    this.pushClusterState();
    for (let i = 0; i < this.config.workers; i++) this.slots.push(new Slot(i));
    for (const slot of this.slots) this.spawn(slot);
    this.#ticker.start(heartbeatIntervalMs(this.config.propane.workerTimeoutSeconds), () => this.#tick());
    this.state = 'running';
  }

  /** Forks a worker for `slot`; it fills the slot now unless `promote` is false (a replacement). */
  spawn(slot: Slot, promote = true): WorkerProcess {
    const worker = forkWorker(slot.index, this.config, this.port, this.keeper.current);
    const wp = new Proc(worker, slot.index);
    this.procs.set(wp.id, wp);
    if (promote) slot.current = wp;
    logEvent(this.log, 'info', 'worker_forked', { slot: slot.index, worker_pid: wp.pid }, 'worker forked');
    const readyTimeoutMs = this.config.propane.readyTimeoutSeconds * 1000;
    const timer = setTimeout(() => {
      if (wp.state !== 'starting' || !wp.isAlive) return;
      wp.bootError ??= { phase: 'ready', message: `not ready within readyTimeoutSeconds (${this.config.propane.readyTimeoutSeconds})` };
      logEvent(this.log, 'error', 'worker_boot_failed', { slot: slot.index, worker_pid: wp.pid, phase: 'ready', reason: wp.bootError.message }, 'worker not ready in time; killing it');
      wp.kill();
    }, readyTimeoutMs);
    void wp.settled.then(() => clearTimeout(timer));
    this.pushClusterState();
    return wp;
  }

  /** Asks a worker to drain; SIGKILL follows if it is not gone after the grace period. */
  drain(wp: WorkerProcess, reason: DrainReason): void {
    if (wp.state === 'draining' || !wp.isAlive) return;
    wp.planned = true;
    wp.state = 'draining';
    const graceMs = Math.round(this.config.propane.gracefulShutdownSeconds * 1000);
    wp.send({ type: 'drain', schema_version: IPC_SCHEMA_VERSION, reason, grace_ms: graceMs, websocket_close_code: reason === 'shutdown' ? 1001 : 1012 });
    wp.kill(graceMs + DRAIN_KILL_MARGIN_MS, () =>
      logEvent(this.log, 'warn', 'worker_killed', { slot: wp.slot, worker_pid: wp.pid, reason, grace_ms: graceMs }, 'worker still running after its drain; killing it'),
    );
    this.pushClusterState();
  }

  /**
   * Replaces the worker of `slot` without a gap: the replacement must be ready
   * before the old one drains (SPEC section 6). Resolves with the failure
   * reason, or null on success; on failure the old worker keeps serving.
   */
  async replace(slot: Slot, reason: DrainReason): Promise<string | null> {
    while (slot.replacing) await slot.replacing;
    const done = this.#replace(slot, reason);
    slot.replacing = done;
    try {
      return await done;
    } finally {
      slot.replacing = null;
    }
  }

  async #replace(slot: Slot, reason: DrainReason): Promise<string | null> {
    const old = slot.current;
    // An empty slot (crash loop, --no-respawn) is filled by the replacement, not also by a pending respawn.
    if (old === null) slot.cancelTimers();
    const next = this.spawn(slot, old === null);
    if ((await next.settled) !== 'ready') {
      next.planned = true;
      next.kill();
      return `slot ${slot.index}: replacement pid ${next.pid} ${next.bootFailure}`;
    }
    // The old worker may have died while its replacement started; its respawn is moot now.
    clearTimeout(slot.respawnTimer);
    slot.respawnTimer = undefined;
    slot.respawnAtMs = null;
    slot.current = next;
    this.#watchStability(slot, next);
    if (old && old !== next) {
      await sleep(this.config.propane.reloadOverlapSeconds * 1000);
      this.drain(old, reason);
      this.#draining.push(old);
    }
    return null;
  }

  /** Takes a slot out of service (a reload lowered `workers`): its worker drains and it is not refilled. */
  retire(slot: Slot): void {
    slot.retired = true;
    slot.cancelTimers();
    if (slot.current) {
      this.drain(slot.current, 'scale_down');
      this.#draining.push(slot.current);
    }
  }

  /** Resolves once every worker drained by replace() or retire() has exited (bounded by the drain's kill timer). */
  async drained(): Promise<void> {
    const pending = this.#draining.splice(0);
    await Promise.all(pending.map(exited));
  }

  reload(): Promise<ReloadResponse> {
    const startedAt = new Date();
    const refuse = (reason: string): Promise<ReloadResponse> => {
      this.reloadCounts.refused++;
      logEvent(this.log, 'warn', 'reload_refused', { reason }, 'reload refused');
      const record = { started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), outcome: 'refused' as const, reason };
      if (!this.#reloading) this.lastReload = record;
      return Promise.resolve({ schema_version: 1, ...record });
    };
    if (this.#reloading) return refuse(`a reload is already in progress (started at ${this.lastReload?.started_at ?? 'just now'}); wait for it to finish`);
    if (this.state === 'draining' || this.state === 'stopping') return refuse(`the supervisor is ${this.state}`);
    let loaded: LoadedConfig;
    try {
      loaded = this.#opts.reloadConfig();
    } catch (err) {
      return refuse(`invalid config, nothing changed: ${err instanceof Error ? err.message.replaceAll('\n', '; ') : String(err)}`);
    }
    this.#reloading = runRollingReload(this, loaded.config, startedAt).finally(() => {
      this.#reloading = null;
      if (this.state === 'reloading') this.state = 'running';
    });
    return this.#reloading;
  }

  applyConfig(next: Config): Config {
    const previous = this.config;
    // The listener, the status socket and the scheduling policy belong to the running process; a restart changes them.
    this.config = Object.freeze({ ...next, host: previous.host, port: previous.port, status: previous.status, propane: Object.freeze({ ...next.propane, schedulingPolicy: previous.propane.schedulingPolicy }) });
    this.broker.setLimits(this.#limits(this.config));
    return previous;
  }

  /** SIGTERM, SIGINT, POST /stop: drain everything, then stop. A second call forces it. */
  async shutdown(trigger: string): Promise<void> {
    if (this.state === 'draining' || this.state === 'stopping') return this.#forceStop(trigger);
    this.state = 'draining';
    logEvent(this.log, 'info', 'shutdown_started', { trigger, grace_seconds: this.config.propane.gracefulShutdownSeconds }, 'shutting down');
    this.pushClusterState();
    for (const slot of this.slots) slot.cancelTimers();
    await withTimeout(this.membership.stop(), 2000);
    for (const wp of this.procs.values()) this.drain(wp, 'shutdown');
    await Promise.all([...this.procs.values()].map((wp) => wp.settled.then(() => exited(wp))));
    this.#finish(0);
  }

  #forceStop(trigger: string): void {
    logEvent(this.log, 'warn', 'shutdown_forced', { trigger }, 'second signal: stopping now');
    for (const wp of this.procs.values()) wp.kill();
    this.#finish(0);
  }

  #finish(code: number): void {
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    this.#ticker.close();
    for (const slot of this.slots) slot.cancelTimers();
    void withTimeout(this.membership.stop(), 2000).then(() => this.#stopped(code));
  }

  /** A fatal start error (the port is taken): stop everything and exit non-zero. */
  fail(err: PropaneError): void {
    logEvent(this.log, 'fatal', 'supervisor_stopped', { code: err.code, err: err.message }, err.message);
    for (const wp of this.procs.values()) {
      wp.planned = true;
      wp.kill();
    }
    this.#finish(err.exitCode);
  }

  pushClusterState(): void {
    const shuttingDown = this.state === 'draining' || this.state === 'stopping';
    this.membership.setReady(!shuttingDown && [...this.procs.values()].some((wp) => wp.state === 'ready'));
    const state = this.keeper.update({
      config: this.config,
      membership: this.membership.snapshot(),
      membershipSource: this.membership.name,
      shuttingDown,
      sessions: this.sessionTotals(),
      workers: this.slots.map((slot) => ({ slot: slot.index, pid: slot.current?.pid ?? null, state: this.slotState(slot) })),
    });
    if (!state) return;
    const msg: SupervisorToWorker = { type: 'cluster_state', schema_version: IPC_SCHEMA_VERSION, state };
    for (const wp of this.procs.values()) wp.send(msg);
  }

  sessionTotals(): { http: number; websocket: number } {
    let http = 0;
    let websocket = 0;
    for (const wp of this.procs.values()) {
      const s = this.sessionsOf(wp);
      http += s.http;
      websocket += s.websocket;
    }
    return { http, websocket };
  }

  /**
   * A worker's sessions as last reported (heartbeats, about once a second),
   * bounded by what the ledger holds for it: a worker never has more open
   * than it was granted, so the bound only trims a stale sample. Without it
   * the sum of samples taken at different instants could read above the
   * limit while sessions move between workers.
   */
  sessionsOf(wp: WorkerProcess): { http: number; websocket: number } {
    const { http: httpLedger, websocket: wsLedger } = this.broker.ledgers;
    return {
      http: Math.min(wp.stats?.sessions.http ?? 0, httpLedger.heldBy(wp.id)),
      websocket: Math.min(wp.stats?.sessions.websocket ?? 0, wsLedger.heldBy(wp.id)),
    };
  }

  slotState(slot: Slot): 'starting' | 'ready' | 'draining' | 'crash_loop' | 'exited' {
    if (slot.current?.isAlive) return this.processState(slot.current);
    return slot.crashLooping ? 'crash_loop' : 'exited';
  }

  /** A worker still booting in a crash-looping slot shows `crash_loop`: `starting` would hide the loop. */
  processState(wp: WorkerProcess): 'starting' | 'ready' | 'draining' | 'crash_loop' {
    return wp.state === 'starting' && this.slots[wp.slot]?.crashLooping ? 'crash_loop' : wp.state;
  }

  recordReload(record: ReloadRecord, durationMs: number): void {
    this.lastReload = record;
    if (record.outcome) this.reloadCounts[record.outcome]++;
    this.reloadDurations.push(durationMs / 1000);
  }

  #limits(config: Config): { http: number; websocket: number } {
    return { http: config.runtimeLimits.maxConcurrentHTTPSessions, websocket: config.runtimeLimits.maxConcurrentWebSocketSessions };
  }

  #onMessage(id: number, msg: WorkerToSupervisor): void {
    const wp = this.procs.get(id);
    if (!wp) return;
    switch (msg.type) {
      case 'worker_listening':
        logEvent(this.log, 'info', 'worker_listening', { slot: wp.slot, worker_pid: wp.pid, port: msg.port }, 'worker listening');
        return;
      case 'worker_ready':
        wp.onReady();
        logEvent(this.log, 'info', 'worker_ready', { slot: wp.slot, worker_pid: wp.pid, boot_ms: Math.round(performance.now() - wp.startedAtMs) }, 'worker ready');
        if (!this.#everReady) {
          this.#everReady = true;
          logEvent(this.log, 'info', 'listening', { host: this.config.host, port: this.port, url: `http://${this.config.host}:${this.port}` }, `serving on http://${this.config.host}:${this.port}`);
        }
        if (this.slots[wp.slot]?.current === wp) this.#watchStability(this.slots[wp.slot]!, wp);
        this.pushClusterState();
        return;
      case 'worker_boot_failed':
        wp.bootError = { phase: msg.phase, message: msg.error.message, code: msg.error.code };
        logEvent(this.log, 'error', 'worker_boot_failed', { slot: wp.slot, worker_pid: wp.pid, phase: msg.phase, error: msg.error.message, error_code: msg.error.code }, 'worker failed to boot');
        if (msg.phase === 'listen' && !this.#everReady && FATAL_LISTEN_CODES.has(msg.error.code ?? '')) {
          this.fail(new PropaneError('PROPANE_ERR_LISTEN', `cannot listen on ${this.config.host}:${this.port}: ${msg.error.code}. Fix: stop what holds the port, or choose another with --port.`));
        }
        return;
      case 'heartbeat_ack':
        wp.lastAckAtMs = performance.now();
        wp.stats = msg.stats;
        this.totals.add(wp.id, msg.stats);
        this.#checkMemory(wp);
        return;
      case 'lease_request':
        return this.broker.onRequest(wp.id, msg);
      case 'lease_return':
        return this.broker.onReturn(wp.id, msg);
      case 'worker_drained':
        return;
      case 'listener_closed':
        return wp.send({ type: 'listener_closed_ack', schema_version: IPC_SCHEMA_VERSION, seq: msg.seq });
      default:
        return assertNever(msg);
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const wp = this.procs.get(worker.id);
    if (!wp) return;
    this.procs.delete(wp.id);
    const draining = this.#draining.indexOf(wp);
    if (draining >= 0) this.#draining.splice(draining, 1);
    wp.onExit();
    this.broker.forget(wp.id);
    this.totals.forget(wp.id);
    const slot = this.slots[wp.slot];
    const cause: ExitCause = wp.cause ?? (wp.planned ? 'planned' : wp.readyAtMs === null ? 'boot_failure' : 'crash');
    this.exitCounts[cause]++;
    const at = new Date().toISOString();
    const uptimeSeconds = Math.round(performance.now() - wp.startedAtMs) / 1000;
    logEvent(this.log, wp.planned ? 'info' : 'warn', 'worker_exit', { slot: wp.slot, worker_pid: wp.pid, code, signal, cause, uptime_seconds: uptimeSeconds, boot_error: wp.bootError?.message }, `worker exited (${signal ?? `code ${String(code)}`})`);
    if (slot) {
      slot.lastExit = { code, signal, at, cause, ...(wp.bootError ? { error: `${wp.bootError.phase}: ${wp.bootError.message}` } : {}) };
      if (slot.current === wp) {
        slot.current = null;
        clearTimeout(slot.stableTimer);
        const stopping = this.state === 'draining' || this.state === 'stopping';
        if (!wp.planned && !stopping && !slot.retired) {
          if (this.config.propane.respawn) this.#scheduleRespawn(slot);
          else if (![...this.procs.values()].some((p) => p.isAlive)) {
            logEvent(this.log, 'error', 'supervisor_stopped', { reason: 'no_respawn' }, 'every worker exited and --no-respawn is set; stopping');
            this.#finish(1);
          }
        }
      }
    }
    this.pushClusterState();
  }

  #scheduleRespawn(slot: Slot): void {
    const policy = { ...this.config.propane.crashLoop, respawnDelayMs: this.config.propane.respawnDelayMs };
    const { history, delayMs, crashLooping, entered } = recordExit(slot.crashHistory, performance.now(), policy);
    slot.crashHistory = history;
    if (entered) {
      logEvent(this.log, 'error', 'crash_loop', { slot: slot.index, exits_in_window: history.exitsMs.length, window_seconds: policy.windowSeconds, backoff_ms: delayMs, last_exit: slot.lastExit }, 'slot is crash-looping; backing off');
    }
    slot.respawnAtMs = Date.now() + delayMs;
    logEvent(this.log, 'info', 'worker_respawn_scheduled', { slot: slot.index, delay_ms: delayMs, crash_loop: crashLooping }, 'respawn scheduled');
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = undefined;
      slot.respawnAtMs = null;
      if (this.state !== 'running' && this.state !== 'reloading') return;
      slot.restarts++;
      this.spawn(slot);
    }, delayMs);
  }

  /** After stableSeconds of uptime the slot's exit history is cleared, and the backoff with it. */
  #watchStability(slot: Slot, wp: WorkerProcess): void {
    clearTimeout(slot.stableTimer);
    slot.stableTimer = setTimeout(() => {
      if (slot.current !== wp || !wp.isAlive) return;
      if (slot.crashLooping) logEvent(this.log, 'info', 'crash_loop_cleared', { slot: slot.index, worker_pid: wp.pid }, 'slot stable again');
      slot.crashHistory = NO_CRASHES;
      this.pushClusterState();
    }, this.config.propane.crashLoop.stableSeconds * 1000);
  }

  #tick(): void {
    const now = performance.now();
    const timeout = this.config.propane.workerTimeoutSeconds;
    let seq = Math.floor(now);
    for (const wp of this.procs.values()) {
      if (wp.state === 'starting' || !wp.isAlive || wp.cause === 'killed_hung') continue;
      if (isHung(wp.lastAckAtMs, now, timeout)) {
        wp.cause = 'killed_hung';
        const slot = this.slots[wp.slot];
        if (slot) slot.hungKills++;
        logEvent(this.log, 'error', 'worker_hung', { slot: wp.slot, worker_pid: wp.pid, silent_ms: Math.round(now - wp.lastAckAtMs), timeout_seconds: timeout }, 'worker missed its heartbeats; killing it');
        wp.kill();
        continue;
      }
      wp.send({ type: 'heartbeat', schema_version: IPC_SCHEMA_VERSION, seq: seq++ });
    }
    this.pushClusterState();
  }

  #checkMemory(wp: WorkerProcess): void {
    const limitMb = this.config.propane.maxWorkerMemoryMB;
    const rss = wp.stats?.rss_bytes;
    if (limitMb === 0 || rss === null || rss === undefined || wp.state !== 'ready') return;
    wp.overMemoryChecks = rss > limitMb * 1024 * 1024 ? wp.overMemoryChecks + 1 : 0;
    const slot = this.slots[wp.slot];
    // Two readings in a row: one spike during a burst is not "stays over it".
    if (wp.overMemoryChecks < 2 || performance.now() < wp.recycleNotBeforeMs || !slot || slot.current !== wp || this.#reloading || this.state !== 'running') return;
    wp.recycleNotBeforeMs = Infinity;
    logEvent(this.log, 'warn', 'worker_recycled', { slot: wp.slot, worker_pid: wp.pid, rss_bytes: rss, limit_mb: limitMb }, 'worker over maxWorkerMemoryMB; replacing it');
    void this.replace(slot, 'recycle').then((failure) => {
      if (!failure) return;
      // A replacement that cannot boot must not be retried at every heartbeat: wait as long as the crash-loop cap.
      const retryMs = this.config.propane.crashLoop.maxBackoffSeconds * 1000;
      wp.recycleNotBeforeMs = performance.now() + retryMs;
      logEvent(this.log, 'error', 'worker_recycled', { slot: wp.slot, worker_pid: wp.pid, failure, retry_in_ms: retryMs }, 'replacement failed; the old worker keeps serving');
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(wp: WorkerProcess): Promise<void> {
  return wp.isAlive ? new Promise((resolve) => wp.worker.once('exit', () => resolve())) : Promise.resolve();
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
