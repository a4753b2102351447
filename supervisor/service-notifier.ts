import type { SupervisorState } from '../contracts/status.js';
import { logEvent, type Logger } from '../shared/log.js';
import { oneLine, SdNotify } from './sd-notify.js';
import type { SupervisorView } from './supervisor-view.js';

/** What the service manager was already told. */
export interface NotifyMemory {
  readonly mainPidSent: boolean;
  readonly readySent: boolean;
  readonly reloadingSent: boolean;
  readonly stoppingSent: boolean;
  readonly status: string | null;
}

export const NOTHING_SENT: NotifyMemory = { mainPidSent: false, readySent: false, reloadingSent: false, stoppingSent: false, status: null };

/** The node as the service manager hears of it. */
export interface NodeSnapshot {
  readonly pid: number;
  readonly state: SupervisorState;
  /** At least one worker is ready: the node serves. */
  readonly nodeReady: boolean;
  readonly status: string;
}

/**
 * What to tell the service manager after a change (docs/deploy.md,
 * "Service manager messages"): MAINPID first; READY=1 once the node serves
 * (not at supervisor start); RELOADING=1 when a rolling reload starts and
 * READY=1 when it ends, whatever its outcome; STOPPING=1 once, when a stop
 * begins; STATUS= with each of them and whenever the summary changed. A
 * reload before the node was ever ready is not announced: READY=1 at its end
 * would claim a start that has not happened.
 */
export function nextMessage(mem: NotifyMemory, snap: NodeSnapshot, monotonicUsec: bigint): { memory: NotifyMemory; fields: string[] } {
  const fields: string[] = [];
  let m = mem;
  if (!m.mainPidSent) {
    fields.push(`MAINPID=${snap.pid}`);
    m = { ...m, mainPidSent: true };
  }
  if (snap.state === 'draining' || snap.state === 'stopping') {
    if (!m.stoppingSent) fields.push('STOPPING=1');
    m = { ...m, stoppingSent: true, reloadingSent: false };
  } else if (snap.state === 'reloading' && m.readySent && !m.reloadingSent) {
    fields.push('RELOADING=1', `MONOTONIC_USEC=${monotonicUsec}`);
    m = { ...m, reloadingSent: true };
  } else if (snap.state === 'running' && m.reloadingSent) {
    fields.push('READY=1');
    m = { ...m, reloadingSent: false };
  } else if (!m.readySent && snap.nodeReady && (snap.state === 'running' || snap.state === 'reloading')) {
    fields.push('READY=1');
    m = { ...m, readySent: true };
  }
  if (fields.length > 0 || snap.status !== m.status) fields.push(`STATUS=${snap.status}`);
  return { memory: { ...m, status: snap.status }, fields };
}

const REASON_MAX_CHARS = 160;

/** The one-line summary in STATUS= (and `systemctl status`): workers, sessions against the limits, quorum, last reload. */
export function statusLine(view: SupervisorView): string {
  const slots = view.pool.slots.filter((s) => !s.retired);
  const ready = slots.filter((s) => s.shownState === 'ready').length;
  const looping = slots.filter((s) => s.crashLooping).length;
  const sessions = view.sessions.total();
  const limits = view.config.runtimeLimits;
  const quorum = view.clusterState.cluster.quorum;
  const parts = [
    `${view.state}: ${ready}/${slots.length} workers ready${looping > 0 ? ` (${looping} crash-looping)` : ''}`,
    `sessions http ${sessions.http}/${limits.maxConcurrentHTTPSessions} websocket ${sessions.websocket}/${limits.maxConcurrentWebSocketSessions}`,
    `quorum ${quorum.status}${quorum.met ? '' : ' (not met)'}`,
  ];
  const last = view.reloads.last;
  if (last?.outcome) {
    const reason = last.reason === null ? '' : `: ${last.reason.length > REASON_MAX_CHARS ? `${last.reason.slice(0, REASON_MAX_CHARS)}...` : last.reason}`;
    parts.push(`last reload ${last.outcome}${reason}`);
  }
  // One line whatever a reason holds: a newline would inject a field.
  return oneLine(parts.join(', '));
}

/** A ping costs a spawn of about 5 ms: never more often than this, whatever WATCHDOG_USEC says. */
const MIN_WATCHDOG_INTERVAL_MS = 50;
/** setInterval's ceiling; a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** sd_watchdog_enabled(3): the ping interval (half of WATCHDOG_USEC) when the watchdog is this process's, or why not. */
export function watchdogFromEnv(env: NodeJS.ProcessEnv, pid: number): { intervalMs: number | null; problem: string | null } {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined) return { intervalMs: null, problem: null };
  if (!/^\d+$/.test(usec) || Number(usec) === 0) {
    return { intervalMs: null, problem: `WATCHDOG_USEC=${JSON.stringify(usec)} is not a positive number of microseconds; no watchdog pings are sent. Fix: set WatchdogSec= in the unit, or unset WATCHDOG_USEC` };
  }
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== String(pid)) {
    return { intervalMs: null, problem: `WATCHDOG_PID=${JSON.stringify(watchdogPid)} is not this process (${pid}); its watchdog is another process's, no pings are sent` };
  }
  return { intervalMs: Math.min(Math.max(Number(usec) / 2000, MIN_WATCHDOG_INTERVAL_MS), MAX_TIMER_MS), problem: null };
}

/** How the notifier reaches the service manager (SdNotify; a fake in unit tests). */
export interface NotifyTransport {
  send(fields: readonly string[]): void;
  close(timeoutMs: number): Promise<void>;
}

/** What is still queued at exit gets this long; a stop is not held up by a slow manager. */
export const CLOSE_TIMEOUT_MS = 1000;

/**
 * Tells a service manager (systemd, `Type=notify`) what the supervisor does:
 * `changed()` after every change of the supervisor's state or of its
 * workers' readiness, and WATCHDOG=1 at half of WATCHDOG_USEC. The ping
 * comes from a timer of the supervisor itself, so it stops exactly when the
 * supervisor's own event loop stops running; workers that crash-loop or
 * hang never feed it nor stop it.
 */
export class ServiceNotifier {
  readonly #transport: NotifyTransport;
  readonly #pid: number;
  readonly #watchdogMs: number | null;
  #view: SupervisorView | null = null;
  #memory = NOTHING_SENT;
  #timer: NodeJS.Timeout | undefined;

  constructor(transport: NotifyTransport, pid: number, watchdogMs: number | null) {
    this.#transport = transport;
    this.#pid = pid;
    this.#watchdogMs = watchdogMs;
  }

  /** Reports on `view` from its first change on (MAINPID and a status with it); watchdog pings start now. */
  watch(view: SupervisorView): void {
    this.#view = view;
    if (this.#watchdogMs !== null) this.#timer ??= setInterval(() => this.#transport.send(['WATCHDOG=1']), this.#watchdogMs).unref();
  }

  changed(): void {
    const view = this.#view;
    if (!view) return;
    const nodeReady = [...view.pool.workers()].some((wp) => wp.state === 'ready');
    const snap: NodeSnapshot = { pid: this.#pid, state: view.state, nodeReady, status: statusLine(view) };
    const { memory, fields } = nextMessage(this.#memory, snap, process.hrtime.bigint() / 1000n);
    this.#memory = memory;
    this.#transport.send(fields);
  }

  /** Stops the pings and sends what is queued, bounded. Safe twice. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#view = null;
    await this.#transport.close(CLOSE_TIMEOUT_MS);
  }
}

/**
 * The notifier for this process, or null without NOTIFY_SOCKET: then nothing
 * is sent and nothing logged. Reads the environment once, at start.
 */
export function createServiceNotifier(env: NodeJS.ProcessEnv, log: Logger, pid = process.pid): ServiceNotifier | null {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return null;
  const { intervalMs, problem } = watchdogFromEnv(env, pid);
  if (problem) logEvent(log, 'warn', 'sd_watchdog_ignored', { watchdog_usec: env.WATCHDOG_USEC, watchdog_pid: env.WATCHDOG_PID ?? null }, problem);
  logEvent(log, 'info', 'sd_notify_enabled', { socket, watchdog_interval_ms: intervalMs }, `notifying the service manager on ${socket}${intervalMs === null ? '' : `, watchdog ping every ${intervalMs} ms`}`);
  return new ServiceNotifier(new SdNotify(socket, env.PATH, log), pid, intervalMs);
}
