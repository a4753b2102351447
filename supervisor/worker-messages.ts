import cluster, { type Worker } from 'node:cluster';
import { WorkerToSupervisor } from '../contracts/ipc.js';
import { zodCheck } from '../contracts/zod-check.js';
import { createIpcReceiver } from '../shared/ipc-receiver.js';
import type { Logger } from '../shared/log.js';

/**
 * Routes what every worker sends through a validating receiver of its own
 * (so one worker's junk is rate-limited apart from another's), and forgets
 * the receiver when the worker exits.
 */
export function receiveWorkerMessages(log: Logger, onMessage: (workerId: number, msg: WorkerToSupervisor) => void): void {
  const receivers = new Map<number, (raw: unknown, attached?: unknown) => void>();
  cluster.on('message', (worker: Worker, raw: unknown, attached: unknown) => {
    let receive = receivers.get(worker.id);
    if (!receive) {
      receive = createIpcReceiver(zodCheck(WorkerToSupervisor), log, `worker ${worker.id}`, (msg) => onMessage(worker.id, msg));
      receivers.set(worker.id, receive);
    }
    receive(raw, attached);
  });
  cluster.on('exit', (worker) => receivers.delete(worker.id));
}
