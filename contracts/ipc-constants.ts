/**
 * The IPC vocabulary without zod. Workers import constants from here, never
 * from contracts/ipc.ts: one value import of a zod module anywhere in a
 * worker's graph loads zod (~40 ms and 12-16 MB per worker; docs/architecture.md,
 * "Worker boot"). contracts/ipc.ts builds its schemas from these and re-exports them.
 */

export const IPC_SCHEMA_VERSION = 1;

/** What a worker is started with travels in this environment variable (contracts/ipc.ts, WorkerBoot). */
export const WORKER_BOOT_ENV = 'PROPANE_WORKER_BOOT';

export const SESSION_KINDS = ['http', 'websocket'] as const;
export const DRAIN_REASONS = ['reload', 'shutdown', 'recycle', 'scale_down'] as const;
/**
 * How a worker listens: `cluster`, on host:port through node:cluster (none,
 * round_robin); `supervisor`, on the listening sockets the supervisor sends
 * it after `listener_request` (reuse_port, socket activation).
 */
export const LISTEN_VIA = ['cluster', 'supervisor'] as const;
export type ListenVia = (typeof LISTEN_VIA)[number];

/** Upper bounds (seconds) of the request-duration histogram, shared so workers' buckets add up. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export const TIMEOUT_REASONS = ['header', 'body', 'idle', 'write', 'pong', 'handshake'] as const;
/** Why a TLS handshake failed (docs/tls.md, "What a failure looks like"); a handshake timeout is a timeout, not one of these. */
export const TLS_HANDSHAKE_FAILURE_REASONS = ['protocol', 'no_client_certificate', 'bad_client_certificate', 'other'] as const;
export const REJECT_REASONS = ['http_session_limit', 'websocket_session_limit'] as const;
