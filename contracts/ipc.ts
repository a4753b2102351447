import { z } from 'zod';
import { Config } from './config.js';
import { ClusterState, SessionCounts } from './cluster.js';
import { DRAIN_REASONS, IPC_SCHEMA_VERSION, LATENCY_BUCKETS_SECONDS, LISTEN_VIA, REJECT_REASONS, SESSION_KINDS, STATUS_CLASSES, TIMEOUT_REASONS, TLS_HANDSHAKE_FAILURE_REASONS } from './ipc-constants.js';

export * from './ipc-constants.js';

/**
 * Every message between the supervisor and a worker: one union keyed on
 * `type`, each carrying `schema_version`. Receivers validate and drop junk:
 * the supervisor with these schemas, a worker with the JSON Schemas generated
 * from them (contracts/worker-checks.ts).
 * No `cmd` field anywhere: node:cluster swallows `cmd: 'NODE_*'` as its own.
 */

const v = z.literal(IPC_SCHEMA_VERSION);
const seq = z.int().min(0);
const count = z.int().min(0);

export const SessionKind = z.enum(SESSION_KINDS);
export type SessionKind = z.infer<typeof SessionKind>;

export const DrainReason = z.enum(DRAIN_REASONS);
export type DrainReason = z.infer<typeof DrainReason>;

const counters = <const K extends readonly string[]>(keys: K) =>
  z.strictObject(Object.fromEntries(keys.map((k) => [k, count])) as { [P in K[number]]: typeof count });

export const WorkerStats = z.strictObject({
  sessions: SessionCounts,
  event_loop_lag_ms: z.number().min(0),
  rss_bytes: z.int().min(0).nullable(),
  requests: counters(STATUS_CLASSES),
  rejected: counters(REJECT_REASONS),
  timeouts: counters(TIMEOUT_REASONS),
  tls_handshake_failures: counters(TLS_HANDSHAKE_FAILURE_REASONS),
  latency: z.strictObject({
    bucket_counts: z.array(count).length(LATENCY_BUCKETS_SECONDS.length),
    sum_seconds: z.number().min(0),
    count,
  }),
});
export type WorkerStats = z.infer<typeof WorkerStats>;

export const BootError = z.strictObject({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  stack: z.string().optional(),
});

/** PEM text as the supervisor read and checked it (shared/tls-files.ts). */
const Pem = z.string().min(1).max(1_048_576);

/** The 48 bytes of session-ticket keys, base64: every worker holds the same, so a session resumes on any of them. */
export const TicketKeys = z.strictObject({ generation: z.int().min(1), keys: z.string().regex(/^[A-Za-z0-9+/]{64}$/) });
export type TicketKeys = z.infer<typeof TicketKeys>;

export const TlsCertificatePem = z.strictObject({ cert: Pem, key: Pem });

export const SupervisorToWorker = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('heartbeat'), schema_version: v, seq }),
  z.strictObject({ type: z.literal('lease_grant'), schema_version: v, kind: SessionKind, seq, count }),
  z.strictObject({ type: z.literal('lease_reclaim'), schema_version: v, kind: SessionKind, seq }),
  /**
   * The node-wide count of `kind` reached its limit (`reached`), or a release lifted that; pushed to every
   * worker on each change, newest `generation` wins. While reached, a worker with no free permit refuses
   * at once, asking nothing (docs/session-limits.md, "The node is full").
   */
  z.strictObject({ type: z.literal('limit_reached'), schema_version: v, kind: SessionKind, generation: z.int().min(1), reached: z.boolean() }),
  z.strictObject({ type: z.literal('cluster_state'), schema_version: v, state: ClusterState }),
  z.strictObject({
    type: z.literal('drain'),
    schema_version: v,
    reason: DrainReason,
    grace_ms: z.int().min(0),
    websocket_close_code: z.union([z.literal(1001), z.literal(1012)]),
  }),
  /** Answers `listener_closed`: every connection handle the primary sent before it is already delivered. */
  z.strictObject({ type: z.literal('listener_closed_ack'), schema_version: v, seq }),
  /** GET /status or /metrics wants the sessions admitted now; answered by `sessions_report` with the same `seq`. */
  z.strictObject({ type: z.literal('sessions_query'), schema_version: v, seq }),
  /**
   * Answers `tls_material_request`: the certificates and keys of the config the worker was forked
   * with (`sni` keyed by lower-case server name), the client CA for mutual TLS, the ticket keys now.
   * Over IPC, never in the boot environment, which /proc/<pid>/environ shows and children inherit.
   */
  z.strictObject({
    type: z.literal('tls_material'),
    schema_version: v,
    default: TlsCertificatePem,
    sni: z.array(TlsCertificatePem.extend({ server_name: z.string().min(1).max(253) })),
    ca: Pem.nullable(),
    ticket_keys: TicketKeys,
  }),
  /** New session-ticket keys, pushed to every worker when the supervisor rotates them. */
  z.strictObject({ type: z.literal('tls_ticket_keys'), schema_version: v, ticket_keys: TicketKeys }),
  /**
   * `listen_via` supervisor: the listening socket `socket` travels with this message as its handle; accept on it.
   * `adopted` is false for the worker's own socket (the answer to `listener_request`: its slot's under
   * reuse_port, the inherited one under socket activation), true for the socket of a slot whose worker
   * is not ready, served until `listener_release` (docs/scheduling.md).
   */
  z.strictObject({ type: z.literal('listener_socket'), schema_version: v, socket: count, adopted: z.boolean() }),
  /** reuse_port: stop accepting on the adopted socket `socket`; close your copy, never the socket, which others keep. */
  z.strictObject({ type: z.literal('listener_release'), schema_version: v, socket: count }),
]);
export type SupervisorToWorker = z.infer<typeof SupervisorToWorker>;

export const WorkerToSupervisor = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('worker_listening'), schema_version: v, address: z.string(), port: z.int().min(1).max(65_535) }),
  z.strictObject({ type: z.literal('worker_ready'), schema_version: v }),
  z.strictObject({ type: z.literal('worker_boot_failed'), schema_version: v, phase: z.enum(['load', 'ready', 'listen']), error: BootError }),
  z.strictObject({ type: z.literal('heartbeat_ack'), schema_version: v, seq, stats: WorkerStats }),
  /** `need` sessions are waiting on this grant; `want` is the refill on top. */
  z.strictObject({ type: z.literal('lease_request'), schema_version: v, kind: SessionKind, seq, need: count, want: count }),
  /** Permits handed back: spontaneously (seq 0) or in answer to lease_reclaim `seq`. */
  z.strictObject({ type: z.literal('lease_return'), schema_version: v, kind: SessionKind, seq, count }),
  /** Sent right after the worker closed its listener; the answer fences off connections still in flight to it. */
  z.strictObject({ type: z.literal('listener_closed'), schema_version: v, seq }),
  /** The sessions this worker has admitted, as it answers `sessions_query` `seq`. */
  z.strictObject({ type: z.literal('sessions_report'), schema_version: v, seq, sessions: SessionCounts }),
  /** With TLS on, sent once before listening: the worker needs its certificates and ticket keys (`tls_material`). */
  z.strictObject({ type: z.literal('tls_material_request'), schema_version: v }),
  /** `listen_via` supervisor: the worker is ready to listen and its message listener exists; a handle sent before would be dropped. */
  z.strictObject({ type: z.literal('listener_request'), schema_version: v }),
]);
export type WorkerToSupervisor = z.infer<typeof WorkerToSupervisor>;

/** What a worker is started with, passed in the PROPANE_WORKER_BOOT environment variable. */
export const WorkerBoot = z.strictObject({
  schema_version: v,
  slot: z.int().min(0),
  config: Config,
  port: z.int().min(0).max(65_535),
  listen_via: z.enum(LISTEN_VIA),
  cluster_state: ClusterState,
});
export type WorkerBoot = z.infer<typeof WorkerBoot>;
