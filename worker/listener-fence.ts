import { IPC_SCHEMA_VERSION } from '../contracts/ipc-constants.js';
import type { WorkerToSupervisor } from '../contracts/ipc.js';

/** How long to wait for the supervisor's answer, in case it is gone. */
const FENCE_TIMEOUT_MS = 1000;

/**
 * An IPC round trip after the listener closed (docs/operations.md, "The
 * drain of an old worker"): the channel is FIFO, so once the supervisor's
 * `listener_closed_ack` is here, every connection handle the primary sent
 * before it processed `listener_closed` has been delivered (and handed back).
 */
export class ListenerFence {
  readonly #send: (msg: WorkerToSupervisor) => void;
  readonly #waiting = new Map<number, () => void>();
  #seq = 0;

  constructor(send: (msg: WorkerToSupervisor) => void) {
    this.#send = send;
  }

  /** Resolves on the supervisor's answer, or after FENCE_TIMEOUT_MS without one. */
  pass(): Promise<void> {
    return new Promise((resolve) => {
      const seq = ++this.#seq;
      const timer = setTimeout(done, FENCE_TIMEOUT_MS);
      const waiting = this.#waiting;
      function done(): void {
        clearTimeout(timer);
        waiting.delete(seq);
        resolve();
      }
      waiting.set(seq, done);
      this.#send({ type: 'listener_closed', schema_version: IPC_SCHEMA_VERSION, seq });
    });
  }

  onAck(seq: number): void {
    this.#waiting.get(seq)?.();
  }
}
