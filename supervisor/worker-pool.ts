import type { ClusterState } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import { IPC_SCHEMA_VERSION, type DrainReason, type ListenVia } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import { forkWorker } from './fork.js';
import { Slot, type SlotView } from './slot.js';
import { WorkerProcess, type ExitCause, type WorkerView } from './worker-process.js';

/** A draining worker past its grace period gets this long to close WebSockets and the app before SIGKILL. */
export const DRAIN_KILL_MARGIN_MS = 2000;

/** What the pool needs from the supervisor that owns it. */
export interface PoolHost {
  readonly log: Logger;
  readonly port: number;
  /** Whether workers listen through node:cluster or on the sockets the supervisor sends them. */
  readonly listenVia: ListenVia;
  /** The config in force now; a reload replaces it. */
  config(): Config;
  /** The cluster state a new worker boots with. */
  clusterState(): ClusterState;
  /** False once a shutdown began: exits are no longer refilled. */
  isServing(): boolean;
  /** Something the cluster state shows has changed: a worker forked, drained or exited, a slot stabilised. */
  changed(): void;
}

/** The pool as GET /status and GET /metrics read it. */
export interface PoolView {
  readonly slots: readonly SlotView[];
  workers(): Iterable<WorkerView>;
  readonly exitCounts: Readonly<Record<ExitCause, number>>;
}

/**
 * The worker slots and the processes filling them: forks with a ready
 * timeout, drains with a kill timer, gap-free replacement, retirement, and
 * what an exit leaves behind (counts, the slot's last exit, its respawn
 * under the crash-loop policy). See docs/operations.md.
 */
export class WorkerPool implements PoolView {
  readonly #exitCounts: Record<ExitCause, number> = { crash: 0, killed_hung: 0, planned: 0, boot_failure: 0 };
  readonly #slots: Slot[] = [];
  readonly #procs = new Map<number, WorkerProcess>();
  /** Old workers that replace() or retire() asked to drain; a reload completes once they are gone. */
  readonly #draining: WorkerProcess[] = [];
  readonly #host: PoolHost;

  constructor(host: PoolHost) {
    this.#host = host;
  }

  get exitCounts(): Readonly<Record<ExitCause, number>> {
    return this.#exitCounts;
  }

  get slots(): readonly Slot[] {
    return this.#slots;
  }

  get(id: number): WorkerProcess | undefined {
    return this.#procs.get(id);
  }

  workers(): IterableIterator<WorkerProcess> {
    return this.#procs.values();
  }

  slotOf(wp: WorkerProcess): Slot | undefined {
    return this.#slots[wp.slot];
  }

  /** Slots in service, in order; retired ones are never refilled. */
  activeSlots(): Slot[] {
    return this.#slots.filter((s) => !s.retired);
  }

  /** Each slot's worker as the cluster state lists it. */
  workerStates(): ClusterState['workers'] {
    return this.#slots.map((slot) => ({ slot: slot.index, pid: slot.current?.pid ?? null, state: slot.shownState }));
  }

  hasReadyWorker(): boolean {
    return [...this.#procs.values()].some((wp) => wp.state === 'ready');
  }

  /** Creates `count` slots and forks a worker into each. */
  fill(count: number): void {
    for (let i = 0; i < count; i++) this.#slots.push(new Slot(i));
    for (const slot of this.#slots) this.#spawn(slot);
  }

  /** A new slot with a worker forked into it. */
  addSlot(): WorkerProcess {
    const slot = new Slot(this.#slots.length);
    this.#slots.push(slot);
    return this.#spawn(slot);
  }

  /** The worker's app is ready: it serves, and its uptime starts counting toward the slot's stability. */
  markReady(wp: WorkerProcess): void {
    wp.onReady();
    logEvent(this.#host.log, 'info', 'worker_ready', { slot: wp.slot, worker_pid: wp.pid, boot_ms: Math.round(performance.now() - wp.startedAtMs) }, 'worker ready');
    const slot = this.slotOf(wp);
    if (slot?.current === wp) this.#watchStability(slot, wp);
  }

  /** The worker reported why its app failed to load, become ready or listen; its exit is booked later. */
  markBootFailed(wp: WorkerProcess, phase: string, error: { message: string; code?: string | undefined }): void {
    wp.bootError = { phase, message: error.message, code: error.code };
    logEvent(this.#host.log, 'error', 'worker_boot_failed', { slot: wp.slot, worker_pid: wp.pid, phase, error: error.message, error_code: error.code }, 'worker failed to boot');
  }

  /** Asks a worker to drain; SIGKILL follows if it is not gone after the grace period. */
  drain(wp: WorkerProcess, reason: DrainReason): void {
    if (wp.state === 'draining' || !wp.isAlive) return;
    wp.planned = true;
    wp.state = 'draining';
    const graceMs = Math.round(this.#host.config().propane.gracefulShutdownSeconds * 1000);
    wp.send({ type: 'drain', schema_version: IPC_SCHEMA_VERSION, reason, grace_ms: graceMs, websocket_close_code: reason === 'shutdown' ? 1001 : 1012 });
    wp.kill(graceMs + DRAIN_KILL_MARGIN_MS, () =>
      logEvent(this.#host.log, 'warn', 'worker_killed', { slot: wp.slot, worker_pid: wp.pid, reason, grace_ms: graceMs }, 'worker still running after its drain; killing it'),
    );
    this.#host.changed();
  }

  /**
   * Replaces the worker of `slot` without a gap: the replacement must be
   * ready before the old one drains (docs/operations.md, "Rolling reload").
   * Resolves with the failure reason, or null on success; on failure the old
   * worker keeps serving.
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

  /** Resolves once every worker has settled and exited. */
  async allExited(): Promise<void> {
    await Promise.all([...this.#procs.values()].map((wp) => wp.settled.then(() => exited(wp))));
  }

  /** Cancels every pending respawn and stability watch: a shutdown refills nothing. */
  cancelTimers(): void {
    for (const slot of this.#slots) slot.cancelTimers();
  }

  /**
   * Books an exited worker: its exit cause and the slot's last exit, and
   * for an unplanned exit the slot's respawn under the crash-loop policy.
   * Returns true when `--no-respawn` left no live worker: nothing can serve again.
   */
  onExit(wp: WorkerProcess, code: number | null, signal: string | null): boolean {
    this.#procs.delete(wp.id);
    const draining = this.#draining.indexOf(wp);
    if (draining >= 0) this.#draining.splice(draining, 1);
    wp.onExit();
    const cause: ExitCause = wp.cause ?? (wp.planned ? 'planned' : wp.readyAtMs === null ? 'boot_failure' : 'crash');
    this.#exitCounts[cause]++;
    const at = new Date().toISOString();
    const uptimeSeconds = Math.round(performance.now() - wp.startedAtMs) / 1000;
    logEvent(this.#host.log, wp.planned ? 'info' : 'warn', 'worker_exit', { slot: wp.slot, worker_pid: wp.pid, code, signal, cause, uptime_seconds: uptimeSeconds, boot_error: wp.bootError?.message }, `worker exited (${signal ?? `code ${String(code)}`})`);
    const slot = this.slotOf(wp);
    if (!slot) return false;
    slot.lastExit = { code, signal, at, cause, ...(wp.bootError ? { error: `${wp.bootError.phase}: ${wp.bootError.message}` } : {}) };
    if (slot.current !== wp) return false;
    slot.current = null;
    slot.stopStabilityWatch();
    if (wp.planned || !this.#host.isServing() || slot.retired) return false;
    if (this.#host.config().propane.respawn) {
      this.#scheduleRespawn(slot);
      return false;
    }
    return ![...this.#procs.values()].some((p) => p.isAlive);
  }

  /** Forks a worker for `slot`; it fills the slot now unless `promote` is false (a replacement). */
  #spawn(slot: Slot, promote = true): WorkerProcess {
    const config = this.#host.config();
    const wp = new WorkerProcess(forkWorker(slot.index, config, this.#host.port, this.#host.listenVia, this.#host.clusterState()), slot.index);
    this.#procs.set(wp.id, wp);
    if (promote) slot.current = wp;
    logEvent(this.#host.log, 'info', 'worker_forked', { slot: slot.index, worker_pid: wp.pid }, 'worker forked');
    const timer = setTimeout(() => {
      if (wp.state !== 'starting' || !wp.isAlive) return;
      wp.bootError ??= { phase: 'ready', message: `not ready within readyTimeoutSeconds (${this.#host.config().propane.readyTimeoutSeconds})` };
      logEvent(this.#host.log, 'error', 'worker_boot_failed', { slot: slot.index, worker_pid: wp.pid, phase: 'ready', reason: wp.bootError.message }, 'worker not ready in time; killing it');
      wp.kill();
    }, config.propane.readyTimeoutSeconds * 1000);
    void wp.settled.then(() => clearTimeout(timer));
    this.#host.changed();
    return wp;
  }

  async #replace(slot: Slot, reason: DrainReason): Promise<string | null> {
    const old = slot.current;
    // An empty slot (crash loop, --no-respawn) is filled by the replacement, not also by a pending respawn.
    if (old === null) slot.cancelTimers();
    const next = this.#spawn(slot, old === null);
    if ((await next.settled) !== 'ready') {
      next.planned = true;
      next.kill();
      return `slot ${slot.index}: replacement pid ${next.pid} ${next.bootFailure}`;
    }
    // The old worker may have died while its replacement started; its respawn is moot now.
    slot.cancelRespawn();
    slot.current = next;
    this.#watchStability(slot, next);
    if (old && old !== next) {
      await sleep(this.#host.config().propane.reloadOverlapSeconds * 1000);
      this.drain(old, reason);
      this.#draining.push(old);
    }
    return null;
  }

  #scheduleRespawn(slot: Slot): void {
    const { crashLoop, respawnDelayMs } = this.#host.config().propane;
    const policy = { ...crashLoop, respawnDelayMs };
    const { history, delayMs, crashLooping, entered } = slot.recordCrash(performance.now(), policy);
    if (entered) {
      logEvent(this.#host.log, 'error', 'crash_loop', { slot: slot.index, exits_in_window: history.exitsMs.length, window_seconds: policy.windowSeconds, backoff_ms: delayMs, last_exit: slot.lastExit }, 'slot is crash-looping; backing off');
    }
    slot.scheduleRespawn(delayMs, () => {
      if (!this.#host.isServing()) return;
      slot.restarts++;
      this.#spawn(slot);
    });
    logEvent(this.#host.log, 'info', 'worker_respawn_scheduled', { slot: slot.index, delay_ms: delayMs, crash_loop: crashLooping }, 'respawn scheduled');
  }

  /** After stableSeconds of uptime the slot's exit history is cleared, and the backoff with it. */
  #watchStability(slot: Slot, wp: WorkerProcess): void {
    slot.watchStability(wp, this.#host.config().propane.crashLoop.stableSeconds * 1000, (wasCrashLooping) => {
      if (wasCrashLooping) logEvent(this.#host.log, 'info', 'crash_loop_cleared', { slot: slot.index, worker_pid: wp.pid }, 'slot stable again');
      this.#host.changed();
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(wp: WorkerProcess): Promise<void> {
  return wp.isAlive ? new Promise((resolve) => wp.worker.once('exit', () => resolve())) : Promise.resolve();
}
