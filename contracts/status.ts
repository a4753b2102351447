import { z } from 'zod';
import { Member, Quorum, SessionCounts, StoreState, WorkerState } from './cluster.js';
import { SCHEDULING_POLICIES } from './config.js';
import { REJECT_REASONS } from './ipc.js';

/** GET /status on the status socket (docs/observability.md). Dashboards rely on this shape. */

export const STATUS_SCHEMA_VERSION = 1;

export const SUPERVISOR_STATES = ['starting', 'running', 'reloading', 'draining', 'stopping'] as const;
export const SupervisorState = z.enum(SUPERVISOR_STATES);
export type SupervisorState = z.infer<typeof SupervisorState>;

export const LastExit = z.strictObject({
  code: z.int().nullable(),
  signal: z.string().nullable(),
  at: z.string(),
  cause: z.enum(['crash', 'killed_hung', 'planned', 'boot_failure']).optional(),
  /** Why a worker that never became ready failed: the phase (load, ready, listen) and the app's error message. */
  error: z.string().optional(),
});
export type LastExit = z.infer<typeof LastExit>;

export const WorkerStatus = z.strictObject({
  slot: z.int().min(0),
  pid: z.int().nullable(),
  state: WorkerState,
  started_at: z.string().nullable(),
  restarts: z.int().min(0),
  last_exit: LastExit.nullable(),
  sessions: SessionCounts,
  /** True when the worker did not answer the sessions query of this request in time: `sessions` is its last report. */
  sessions_stale: z.boolean(),
  event_loop_lag_ms: z.number().min(0).nullable(),
  rss_bytes: z.int().min(0).nullable(),
  hung_kills: z.int().min(0),
  next_respawn_at: z.string().nullable(),
});
export type WorkerStatus = z.infer<typeof WorkerStatus>;

export const RELOAD_OUTCOMES = ['completed', 'refused', 'aborted'] as const;
export const ReloadOutcome = z.enum(RELOAD_OUTCOMES);
export type ReloadOutcome = z.infer<typeof ReloadOutcome>;

export const ReloadRecord = z.strictObject({
  started_at: z.string(),
  finished_at: z.string().nullable(),
  outcome: ReloadOutcome.nullable(),
  reason: z.string().nullable(),
});
export type ReloadRecord = z.infer<typeof ReloadRecord>;

/** A certificate the workers serve, as `/status` shows it (docs/tls.md, "Status and metrics"). */
export const CertificateInfo = z.strictObject({
  /** The `tls.sni` name it is served for; null for the default certificate. */
  server_name: z.string().nullable(),
  subject: z.string(),
  sans: z.array(z.string()),
  not_after: z.string(),
  /** As `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint_sha256: z.string(),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;

export const StatusPayload = z.strictObject({
  schema_version: z.literal(STATUS_SCHEMA_VERSION),
  supervisor: z.strictObject({
    pid: z.int(),
    version: z.string(),
    state: SupervisorState,
    started_at: z.string(),
    uptime_seconds: z.number().min(0),
    rss_bytes: z.int().min(0).nullable(),
    scheduling_policy: z.enum(SCHEDULING_POLICIES),
    /** process.version of the supervisor (and so of its workers). */
    node_version: z.string(),
    /** net.ipv4.tcp_migrate_req as read when /status is answered; null where it does not exist (not Linux, a kernel older than 5.14). */
    tcp_migrate_req: z.union([z.literal(0), z.literal(1)]).nullable(),
  }),
  listen: z.strictObject({ host: z.string(), port: z.int().min(0).max(65_535) }),
  workers: z.array(WorkerStatus),
  totals: z.strictObject({
    sessions: SessionCounts,
    limits: SessionCounts,
    leased: SessionCounts,
    rejected: z.strictObject(Object.fromEntries(REJECT_REASONS.map((r) => [r, z.int().min(0)])) as {
      [K in (typeof REJECT_REASONS)[number]]: z.ZodInt;
    }),
    hung_kills: z.int().min(0),
  }),
  cluster: z.strictObject({
    enabled: z.boolean(),
    name: z.string(),
    node_id: z.string(),
    observed_nodes: z.int().min(0),
    expected_nodes: z.int().min(1),
    quorum: Quorum.pick({ status: true, met: true }),
    generation: z.int().min(0),
    membership_source: z.enum(['static_config', 'etcd']),
    members: z.array(Member).optional(),
    store: StoreState.optional(),
  }),
  reload: z.strictObject({ in_progress: z.boolean(), last: ReloadRecord.nullable() }),
  tls: z.strictObject({ enabled: z.boolean(), certificates: z.array(CertificateInfo) }),
});
export type StatusPayload = z.infer<typeof StatusPayload>;

/** POST /reload answers with the reload's outcome once it is known. */
export const ReloadResponse = z.strictObject({
  schema_version: z.literal(STATUS_SCHEMA_VERSION),
  outcome: ReloadOutcome,
  reason: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string(),
});
export type ReloadResponse = z.infer<typeof ReloadResponse>;

export const StatusError = z.strictObject({
  schema_version: z.literal(STATUS_SCHEMA_VERSION),
  error: z.strictObject({ code: z.string(), message: z.string() }),
});
