import { z } from 'zod';

/**
 * The one config schema (docs/configuration.md). Every layer (profile preset,
 * file, environment, flags) is merged into a plain object first and parsed
 * here once; the result is frozen and passed down, never re-read.
 */

const seconds = z.number().positive().max(86_400);
const nonNegativeSeconds = z.number().min(0).max(86_400);

export const SECURITY_PROFILES = ['balanced', 'strict', 'edge'] as const;
export const SecurityProfileName = z.enum(SECURITY_PROFILES);
export type SecurityProfileName = z.infer<typeof SecurityProfileName>;

export const SCHEDULING_POLICIES = ['round_robin', 'none', 'reuse_port'] as const;
export type SchedulingPolicy = (typeof SCHEDULING_POLICIES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const RuntimeLimits = z.strictObject({
  maxConcurrentHTTPSessions: z.int().min(1).max(1_000_000).default(256),
  maxConcurrentWebSocketSessions: z.int().min(1).max(1_000_000).default(256),
});

export const Timeouts = z.strictObject({
  headerSeconds: seconds.default(10),
  bodySeconds: seconds.default(30),
  idleSeconds: seconds.default(5),
  writeSeconds: seconds.default(30),
  /** A TLS handshake not complete within this is cut (docs/tls.md, "Handshake timeout"). */
  handshakeSeconds: seconds.default(10),
});

export const WebSocketConfig = z.strictObject({
  maxPayloadBytes: z.int().min(1).max(2 ** 31 - 1).default(16 * 1024 * 1024),
  pingIntervalSeconds: seconds.default(30),
  pongTimeoutSeconds: seconds.default(10),
});

export const CrashLoop = z.strictObject({
  maxRestarts: z.int().min(1).max(1000).default(5),
  windowSeconds: seconds.default(60),
  maxBackoffSeconds: seconds.default(30),
  stableSeconds: seconds.default(30),
});
export type CrashLoop = z.infer<typeof CrashLoop>;

export const PropaneSettings = z.strictObject({
  gracefulShutdownSeconds: nonNegativeSeconds.default(10),
  respawnDelayMs: z.int().min(0).max(3_600_000).default(250),
  reloadOverlapSeconds: nonNegativeSeconds.default(1),
  readyTimeoutSeconds: seconds.default(30),
  workerTimeoutSeconds: seconds.default(30),
  crashLoop: CrashLoop.prefault({}),
  maxWorkerMemoryMB: z.int().min(0).max(1_048_576).default(0),
  /** How connections reach workers; docs/scheduling.md has the measurements behind the `none` default. `reuse_port` needs Linux and Node.js 22.12. */
  schedulingPolicy: z.enum(SCHEDULING_POLICIES).default('none'),
  respawn: z.boolean().default(true),
  pidFile: z.string().min(1).nullable().default(null),
});

export const EtcdTls = z.strictObject({
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
});

export const EtcdConfig = z.strictObject({
  endpoints: z.array(z.url({ protocol: /^https?$/ })).default([]),
  prefix: z.string().min(1).startsWith('/').default('/propane/'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  tls: EtcdTls.optional(),
});

export const MEMBERSHIP_SOURCES = ['static', 'etcd'] as const;

export const Membership = z.strictObject({
  source: z.enum(MEMBERSHIP_SOURCES).default('static'),
  leaseSeconds: z.int().min(2).max(60).default(5),
  etcd: EtcdConfig.prefault({}),
});

export const ClusterConfig = z.strictObject({
  enabled: z.boolean().default(false),
  name: z.string().min(1).max(128).default('default'),
  /** Filled with the hostname by the loader: a schema default cannot read the machine. */
  nodeId: z.string().min(1).max(253).optional(),
  expectedNodes: z.int().transform((n) => Math.max(1, n)).default(1),
  observedNodes: z.int().transform((n) => Math.max(0, n)).optional(),
  /** Left unset, the loader resolves it to `enabled`: the X-Arlen-Cluster* headers are for clusters (docs/endpoints.md). */
  emitHeaders: z.boolean().optional(),
  membership: Membership.prefault({}),
});

export const Observability = z.strictObject({
  readinessRequiresClusterQuorum: z.boolean().default(false),
  /** traceparent and X-Trace-Id on responses (docs/observability.md, "Request identity and trace context"). */
  tracePropagationEnabled: z.boolean().default(true),
  /** X-Request-Id and X-Correlation-Id on responses; the id is made and logged either way. */
  responseIdentityHeadersEnabled: z.boolean().default(true),
});

/** What a security profile decides; each profile is a preset of these (shared/config/profiles.ts). */
export const SecuritySettings = z.strictObject({
  trustedProxy: z.boolean().default(false),
  securityHeaders: z.boolean().default(false),
  clusterzRequiresToken: z.boolean().default(false),
  statusReadsRequireToken: z.boolean().default(false),
});
export type SecuritySettings = z.infer<typeof SecuritySettings>;

export const StatusConfig = z.strictObject({
  socket: z.string().min(1).default('./propane.sock'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65_535).nullable().default(null),
  token: z.string().min(16).nullable().default(null),
});

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** A host name of `tls.sni`, or `*.` and a parent name for one label below it; matched without regard to case. */
const SERVER_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const TlsCertificateFiles = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
});

/**
 * HTTPS and WSS on the listening port (docs/tls.md). The supervisor reads
 * and checks the files (shared/tls-files.ts) and hands their contents to
 * the workers over IPC; workers never read them.
 */
export const TlsConfig = z.strictObject({
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  requestClientCert: z.boolean().default(false),
  minVersion: z.enum(TLS_VERSIONS).default('TLSv1.2'),
  sni: z.record(z.string().max(253).regex(SERVER_NAME), TlsCertificateFiles).optional(),
});

export const ConfigInput = z.strictObject({
  app: z.string().min(1).nullable().default(null),
  workers: z.int().min(1).max(1024).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65_535).default(3000),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  runtimeLimits: RuntimeLimits.prefault({}),
  timeouts: Timeouts.prefault({}),
  websocket: WebSocketConfig.prefault({}),
  propane: PropaneSettings.prefault({}),
  cluster: ClusterConfig.prefault({}),
  observability: Observability.prefault({}),
  securityProfile: SecurityProfileName.default('balanced'),
  security: SecuritySettings.prefault({}),
  status: StatusConfig.prefault({}),
  tls: TlsConfig.prefault({}),
});

/** The normalised config: every default filled, machine-dependent ones resolved. */
export const Config = ConfigInput.safeExtend({
  workers: z.int().min(1).max(1024),
  cluster: ClusterConfig.safeExtend({
    nodeId: z.string().min(1).max(253),
    // Already clamped by ConfigInput's transform; restated without it, so the JSON Schema that workers check can express it.
    expectedNodes: z.int().min(1).default(1),
    observedNodes: z.int().min(0),
    emitHeaders: z.boolean(),
  }),
});
export type Config = z.infer<typeof Config>;
