import { z } from 'zod';

/**
 * Cluster state as the supervisor owns it (docs/endpoints.md). It is pushed
 * to every worker with a generation number, so /readyz, /clusterz and the
 * X-Arlen-Cluster-* headers agree across workers.
 */

export const QUORUM_STATUSES = ['single_node', 'partitioned', 'degraded', 'nominal'] as const;
export const QuorumStatus = z.enum(QUORUM_STATUSES);
export type QuorumStatus = z.infer<typeof QuorumStatus>;

export const Quorum = z.strictObject({
  status: QuorumStatus,
  met: z.boolean(),
  observed_nodes: z.int().min(0),
  expected_nodes: z.int().min(1),
});
export type Quorum = z.infer<typeof Quorum>;

export const Member = z.strictObject({
  node_id: z.string(),
  host: z.string(),
  port: z.int().min(0).max(65_535),
  ready: z.boolean(),
});
export type Member = z.infer<typeof Member>;

export const StoreState = z.strictObject({
  state: z.enum(['connected', 'unavailable']),
  endpoints: z.array(z.string()),
  lease_seconds: z.int(),
  last_change_at: z.string().nullable(),
});
export type StoreState = z.infer<typeof StoreState>;

export const CAPABILITY_MATRIX = {
  cross_node_request_routing: 'external_load_balancer_required',
  cross_node_realtime_fanout: 'external_broker_required',
  cross_node_jobs_deduplication: 'external_queue_required',
  cross_node_cache_coherence: 'external_cache_required',
} as const;

export const CapabilityMatrix = z.strictObject({
  cross_node_request_routing: z.literal(CAPABILITY_MATRIX.cross_node_request_routing),
  cross_node_realtime_fanout: z.literal(CAPABILITY_MATRIX.cross_node_realtime_fanout),
  cross_node_jobs_deduplication: z.literal(CAPABILITY_MATRIX.cross_node_jobs_deduplication),
  cross_node_cache_coherence: z.literal(CAPABILITY_MATRIX.cross_node_cache_coherence),
});

export const SessionCounts = z.strictObject({
  http: z.int().min(0),
  websocket: z.int().min(0),
});
export type SessionCounts = z.infer<typeof SessionCounts>;

export const WORKER_STATES = ['starting', 'ready', 'draining', 'crash_loop', 'exited'] as const;
export const WorkerState = z.enum(WORKER_STATES);
export type WorkerState = z.infer<typeof WorkerState>;

export const ClusterSection = z.strictObject({
  enabled: z.boolean(),
  name: z.string(),
  node_id: z.string(),
  observed_nodes: z.int().min(0),
  expected_nodes: z.int().min(1),
  quorum: Quorum,
  members: z.array(Member).optional(),
});
export type ClusterSection = z.infer<typeof ClusterSection>;

export const Coordination = z.strictObject({
  membership_source: z.enum(['static_config', 'etcd']),
  state: z.string(),
  capability_matrix: CapabilityMatrix,
  store: StoreState.optional(),
});
export type Coordination = z.infer<typeof Coordination>;

export const ClusterState = z.strictObject({
  generation: z.int().min(0),
  shutting_down: z.boolean(),
  readiness_requires_quorum: z.boolean(),
  cluster: ClusterSection,
  coordination: Coordination,
  sessions: SessionCounts,
  workers: z.array(z.strictObject({ slot: z.int().min(0), pid: z.int().nullable(), state: WorkerState })),
});
export type ClusterState = z.infer<typeof ClusterState>;

/** GET /clusterz on every worker (docs/endpoints.md, "/clusterz"). */
export const ClusterzPayload = z.strictObject({
  generation: z.int().min(0),
  cluster: ClusterSection,
  coordination: Coordination,
  sessions: SessionCounts,
  workers: ClusterState.shape.workers,
});
export type ClusterzPayload = z.infer<typeof ClusterzPayload>;

export const ClusterQuorumCheck = z.strictObject({
  ok: z.boolean(),
  required_for_readyz: z.boolean(),
  status: QuorumStatus,
  observed_nodes: z.int().min(0),
  expected_nodes: z.int().min(1),
});

/** GET /readyz?format=json (docs/endpoints.md, "Readiness is node-wide"). */
export const ReadinessPayload = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  ready: z.boolean(),
  generation: z.int().min(0),
  checks: z.strictObject({
    node_accepting: z.strictObject({ ok: z.boolean() }),
    worker_draining: z.strictObject({ ok: z.boolean() }),
    cluster_quorum: ClusterQuorumCheck,
  }),
});
export type ReadinessPayload = z.infer<typeof ReadinessPayload>;
