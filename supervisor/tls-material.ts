import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Config } from '../contracts/config.js';
import { IPC_SCHEMA_VERSION, type SupervisorToWorker, type TicketKeys } from '../contracts/ipc.js';
import type { CertificateInfo } from '../contracts/status.js';
import type { LoadedConfig } from '../shared/config/load.js';
import { logEvent, type Logger } from '../shared/log.js';
import type { TlsMaterial } from '../shared/tls-files.js';

/**
 * How often the session-ticket keys are replaced (docs/tls.md, "Session
 * resumption"): Node holds one key set, so a rotation costs each client
 * resuming across it one full handshake, and an hour bounds how long one
 * key protects resumable TLS 1.2 sessions.
 */
export const TICKET_KEY_ROTATION_MS = 3_600_000;
const TICKET_KEY_BYTES = 48;

/** What GET /status and GET /metrics read: the certificates of the config in force. */
export interface TlsView {
  readonly enabled: boolean;
  readonly certificates: readonly CertificateInfo[];
}

/** A worker as far as TLS material goes: its cluster id and its IPC channel. */
export interface TlsRecipient {
  readonly id: number;
  send(msg: SupervisorToWorker): void;
}

/**
 * The supervisor's side of TLS: the certificates and keys each config
 * brought (read and checked by shared/tls-files.ts), which of them each
 * worker was forked with, and the session-ticket keys every worker shares,
 * made here, rotated on a timer and only ever sent over IPC (never written
 * to disk, the boot environment or a log line).
 */
export class TlsMaterialStore implements TlsView {
  /** Keyed on a loaded config's frozen `tls` section, which the supervisor's config copies keep. */
  readonly #byConfig = new WeakMap<object, TlsMaterial | null>();
  /** What each live worker was forked with: a reload may change the material while one boots. */
  readonly #byWorker = new Map<number, TlsMaterial | null>();
  readonly #log: Logger;
  readonly #newKeys: () => Buffer;
  #current: TlsMaterial | null;
  #keys: TicketKeys;
  #timer: NodeJS.Timeout | undefined;

  constructor(loaded: LoadedConfig, log: Logger, newKeys: () => Buffer = () => randomBytes(TICKET_KEY_BYTES)) {
    this.#log = log;
    this.#newKeys = newKeys;
    this.register(loaded);
    this.#current = loaded.tls;
    this.#keys = { generation: 1, keys: newKeys().toString('base64') };
  }

  get enabled(): boolean {
    return this.#current !== null;
  }

  get certificates(): CertificateInfo[] {
    const m = this.#current;
    return m === null ? [] : [m.default.info, ...m.sni.map((p) => p.info)];
  }

  get ticketKeyGeneration(): number {
    return this.#keys.generation;
  }

  /** A config was loaded (start, reload): remember its material until it is applied. */
  register(loaded: LoadedConfig): void {
    this.#byConfig.set(loaded.config.tls, loaded.tls);
  }

  /** `config` is now in force (a reload, or its undo): new workers get its material. */
  apply(config: Config): void {
    const material = this.#byConfig.get(config.tls);
    if (material === undefined) throw new Error('TLS material of a config that was never registered');
    this.#current = material;
  }

  /** Records what each forked worker boots with, and starts rotating the ticket keys. */
  start(workers: () => Iterable<TlsRecipient>, everyMs = TICKET_KEY_ROTATION_MS): void {
    // node:cluster emits 'fork' on the next tick after fork(), before any config change can follow it.
    cluster.on('fork', (worker: Worker) => this.assign(worker.id));
    cluster.on('exit', (worker: Worker) => this.#byWorker.delete(worker.id));
    this.#timer ??= setInterval(() => this.rotate(workers()), everyMs).unref();
  }

  /** The worker with this id was forked under the config in force now. */
  assign(id: number): void {
    this.#byWorker.set(id, this.#current);
  }

  /** Answers a worker's `tls_material_request` with what it was forked with and the ticket keys of now. */
  answer(worker: TlsRecipient): void {
    const m = this.#byWorker.has(worker.id) ? this.#byWorker.get(worker.id)! : this.#current;
    if (m === null) return;
    worker.send({
      type: 'tls_material',
      schema_version: IPC_SCHEMA_VERSION,
      default: { cert: m.default.cert, key: m.default.key },
      sni: m.sni.map((p) => ({ server_name: p.serverName!, cert: p.cert, key: p.key })),
      ca: m.ca,
      ticket_keys: this.#keys,
    });
  }

  /** New ticket keys for every worker serving TLS at once; a worker that misses them only makes clients do full handshakes. */
  rotate(workers: Iterable<TlsRecipient>): void {
    this.#keys = { generation: this.#keys.generation + 1, keys: this.#newKeys().toString('base64') };
    let sent = 0;
    for (const worker of workers) {
      if (!this.#byWorker.get(worker.id)) continue;
      worker.send({ type: 'tls_ticket_keys', schema_version: IPC_SCHEMA_VERSION, ticket_keys: this.#keys });
      sent++;
    }
    if (sent > 0) logEvent(this.#log, 'info', 'tls_ticket_keys_rotated', { generation: this.#keys.generation, workers: sent }, 'TLS session-ticket keys rotated');
  }

  /** Stops rotating; safe to call twice. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
