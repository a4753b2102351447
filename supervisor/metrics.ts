import { LATENCY_BUCKETS_SECONDS, REJECT_REASONS, SESSION_KINDS, STATUS_CLASSES, TIMEOUT_REASONS, TLS_HANDSHAKE_FAILURE_REASONS } from '../contracts/ipc.js';
import { readRss } from '../shared/rss.js';
import { renderExposition, type Family, type Labels } from './prometheus-text.js';
import type { SupervisorView } from './supervisor-view.js';
import type { WorkerView } from './worker-process.js';

type Samples = Array<readonly [Labels, number]>;

const RELOAD_BUCKETS_SECONDS = [1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * GET /metrics (docs/observability.md, "Metrics"): every family computed at
 * scrape time from what the supervisor aggregated out of the workers'
 * reports. Counters come from node-wide totals that never go backwards
 * (NodeTotals).
 */
export function createMetrics(sup: SupervisorView): { metrics(): string } {
  return { metrics: () => renderExposition(families(sup)) };
}

function families(sup: SupervisorView): Family[] {
  const gauge = (name: string, help: string, samples: Samples): Family => ({ name, help, type: 'gauge', samples });
  const counter = (name: string, help: string, samples: Samples): Family => ({ name, help, type: 'counter', samples });
  const byKind = (counts: Record<(typeof SESSION_KINDS)[number], number>): Samples => SESSION_KINDS.map((kind) => [{ kind }, counts[kind]]);
  const perWorker = (value: (wp: WorkerView) => number | null | undefined): Samples => {
    const out: Samples = [];
    for (const wp of sup.pool.workers()) {
      const v = value(wp);
      if (v !== null && v !== undefined) out.push([{ slot: String(wp.slot), pid: String(wp.pid) }, v]);
    }
    return out;
  };
  const limits = sup.config.runtimeLimits;
  const cluster = sup.clusterState.cluster;
  const store = sup.membership.store;
  const supervisorRss = readRss();
  const reloads = sup.reloads.durationsSeconds;
  const t = sup.totals;
  return [
    gauge('propane_sessions', 'Open sessions on the node, by kind', byKind(sup.sessions.total())),
    gauge('propane_session_limit', 'Node-wide session limit, by kind', byKind({ http: limits.maxConcurrentHTTPSessions, websocket: limits.maxConcurrentWebSocketSessions })),
    gauge('propane_sessions_leased', 'Session permits leased to workers by the ledger, by kind', byKind(sup.sessions.leased())),
    counter('propane_rejected_total', 'Sessions refused with 503 at the node-wide limit, by reason', REJECT_REASONS.map((reason) => [{ reason }, t.rejected[reason]])),
    counter('propane_requests_total', 'Responses sent, by status class', STATUS_CLASSES.map((c) => [{ class: c }, t.requests[c]])),
    counter('propane_timeouts_total', 'Connections cut by a timeout, by reason', TIMEOUT_REASONS.map((reason) => [{ reason }, t.timeouts[reason]])),
    counter('propane_tls_handshake_failures_total', 'TLS handshakes that failed, by reason (a handshake timeout counts in propane_timeouts_total)', TLS_HANDSHAKE_FAILURE_REASONS.map((reason) => [{ reason }, t.tlsHandshakeFailures[reason]])),
    // notAfter as Unix time, as the blackbox exporter's probe_ssl_earliest_cert_expiry; the default certificate is "default".
    gauge('propane_tls_certificate_expiry_seconds', 'Expiry (notAfter, Unix time) of each certificate served, by server name', sup.tls.certificates.map((c) => [{ server_name: c.server_name ?? 'default' }, Math.floor(Date.parse(c.not_after) / 1000)])),
    counter('propane_worker_exits_total', 'Worker exits, by cause', Object.entries(sup.pool.exitCounts).map(([cause, n]) => [{ cause }, n])),
    counter('propane_worker_restarts_total', 'Workers respawned after an unplanned exit', [[{}, sup.pool.slots.reduce((n, s) => n + s.restarts, 0)]]),
    counter('propane_reloads_total', 'Rolling reloads, by outcome', Object.entries(sup.reloads.counts).map(([outcome, n]) => [{ outcome }, n])),
    gauge('propane_crash_loop_slots', 'Worker slots in crash_loop', [[{}, sup.pool.slots.filter((s) => s.crashLooping).length]]),
    gauge('propane_workers', 'Worker processes, by state', (['starting', 'ready', 'draining'] as const).map((state) => [{ state }, [...sup.pool.workers()].filter((wp) => wp.state === state).length])),
    gauge('propane_worker_event_loop_lag_seconds', 'Event-loop lag (p99 over the last heartbeat) per worker', perWorker((wp) => (wp.stats ? wp.stats.event_loop_lag_ms / 1000 : null))),
    gauge('propane_worker_rss_bytes', 'Resident set size per worker', perWorker((wp) => wp.stats?.rss_bytes)),
    gauge('propane_supervisor_rss_bytes', 'Resident set size of the supervisor', supervisorRss === null ? [] : [[{}, supervisorRss]]),
    gauge('propane_cluster_quorum_met', '1 when the cluster quorum is met', [[{}, cluster.quorum.met ? 1 : 0]]),
    gauge('propane_cluster_observed_nodes', 'Nodes observed in the cluster', [[{}, cluster.observed_nodes]]),
    gauge('propane_cluster_expected_nodes', 'Nodes expected in the cluster', [[{}, cluster.expected_nodes]]),
    gauge('propane_membership_store_up', '1 while the membership store answers (always 1 for static membership)', [[{}, store === undefined || store.state === 'connected' ? 1 : 0]]),
    counter('propane_membership_changes_total', 'Changes of the observed cluster membership', [[{}, sup.membership.changes]]),
    gauge('propane_cluster_state_generation', 'Generation of the cluster state pushed to workers', [[{}, sup.clusterState.generation]]),
    // Buckets the workers already counted, summed node-wide.
    { name: 'propane_request_duration_seconds', help: 'Request duration, from request headers to the end of the response', type: 'histogram', le: LATENCY_BUCKETS_SECONDS, cumulative: t.latencyBuckets, sum: t.latencySum, count: t.latencyCount },
    {
      name: 'propane_reload_duration_seconds',
      help: 'Duration of rolling reloads',
      type: 'histogram',
      le: RELOAD_BUCKETS_SECONDS,
      cumulative: RELOAD_BUCKETS_SECONDS.map((le) => reloads.filter((s) => s <= le).length),
      sum: reloads.reduce((a, b) => a + b, 0),
      count: reloads.length,
    },
  ];
}
