import cluster, { type Worker } from 'node:cluster';
import { IPC_SCHEMA_VERSION, WorkerToSupervisor } from '../contracts/ipc.js';
import { zodCheck } from '../contracts/zod-check.js';
import { assertNever } from '../shared/assert-never.js';
import { createIpcReceiver } from '../shared/ipc-receiver.js';
import { logEvent, type Logger } from '../shared/log.js';
import type { AdmissionBroker } from './admission-broker.js';
import type { SocketHandover } from './listener-sockets.js';
import type { MemoryGuard } from './memory-guard.js';
import type { NodeTotals } from './node-totals.js';
import type { SessionsQuery } from './sessions-query.js';
import type { TlsMaterialStore } from './tls-material.js';
import type { WorkerPool } from './worker-pool.js';
import type { WorkerProcess } from './worker-process.js';

type BootFailed = Extract<WorkerToSupervisor, { type: 'worker_boot_failed' }>;

/** Who acts on each message a worker sends: the collaborators, and the supervisor itself for the two that change its state. */
export interface WorkerMessageHandlers {
  readonly log: Logger;
  readonly pool: WorkerPool;
  readonly broker: AdmissionBroker;
  readonly totals: NodeTotals;
  readonly memory: MemoryGuard;
  readonly sessionsQuery: SessionsQuery;
  /** The sockets the supervisor hands to workers (reuse_port, socket activation); null when they listen through node:cluster. */
  readonly listeners: SocketHandover | null;
  readonly tls: TlsMaterialStore;
  ready(wp: WorkerProcess): void;
  bootFailed(wp: WorkerProcess, msg: BootFailed): void;
}

/**
 * Routes what every worker sends through a validating receiver of its own
 * (so one worker's junk is rate-limited apart from another's), forgets the
 * receiver when the worker exits, and hands each message to the one
 * collaborator that acts on it.
 */
export function receiveWorkerMessages(handlers: WorkerMessageHandlers): void {
  const receivers = new Map<number, (raw: unknown, attached?: unknown) => void>();
  cluster.on('message', (worker: Worker, raw: unknown, attached: unknown) => {
    let receive = receivers.get(worker.id);
    if (!receive) {
      receive = createIpcReceiver(zodCheck(WorkerToSupervisor), handlers.log, `worker ${worker.id}`, (msg) => dispatch(handlers, worker.id, msg));
      receivers.set(worker.id, receive);
    }
    receive(raw, attached);
  });
  cluster.on('exit', (worker) => receivers.delete(worker.id));
}

function dispatch(h: WorkerMessageHandlers, id: number, msg: WorkerToSupervisor): void {
  const wp = h.pool.get(id);
  if (!wp) return;
  switch (msg.type) {
    case 'worker_listening':
      logEvent(h.log, 'info', 'worker_listening', { slot: wp.slot, worker_pid: wp.pid, port: msg.port }, 'worker listening');
      return;
    // Only a booting worker becomes ready or fails its boot: a draining one that finishes its listen
    // late, or an app that sends these itself, changes nothing.
    case 'worker_ready':
      return wp.state === 'starting' ? h.ready(wp) : undefined;
    case 'worker_boot_failed':
      return wp.state === 'starting' ? h.bootFailed(wp, msg) : undefined;
    case 'heartbeat_ack':
      wp.onHeartbeat(msg.stats);
      h.totals.add(wp.id, msg.stats);
      h.memory.check(wp);
      return;
    case 'lease_request':
      return h.broker.onRequest(wp.id, msg);
    case 'lease_return':
      return h.broker.onReturn(wp.id, msg);
    case 'listener_closed':
      return wp.send({ type: 'listener_closed_ack', schema_version: IPC_SCHEMA_VERSION, seq: msg.seq });
    case 'sessions_report':
      wp.onSessionsReport(msg.seq, msg.sessions);
      return h.sessionsQuery.onReport(wp.id, msg.seq);
    case 'listener_request':
      return h.listeners?.onRequest(wp);
    case 'tls_material_request':
      return h.tls.answer(wp);
    default:
      return assertNever(msg);
  }
}
