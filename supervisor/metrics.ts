import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS, REJECT_REASONS, SESSION_KINDS, STATUS_CLASSES, TIMEOUT_REASONS } from '../contracts/ipc.js';
import { readRss } from '../shared/rss.js';
import type { SupervisorView } from './supervisor-view.js';

type Collect = (metric: Gauge) => void;

/**
 * GET /metrics (docs/observability.md, "Metrics"): prom-client metrics filled at scrape time
 * from what the supervisor aggregated out of the workers' heartbeat reports.
 * Counters are set from node-wide totals that never go backwards (NodeTotals).
 */
export function createMetrics(sup: SupervisorView): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[], collect: Collect): void => {
    registry.registerMetric(new Gauge({ name, help, labelNames, registers: [], collect(this: Gauge) { this.reset(); collect(this); } }));
  };
  const counter = (name: string, help: string, labelNames: string[], values: () => Array<[Record<string, string>, number]>): void => {
    const c = new Counter({
      name, help, labelNames, registers: [],
      collect(this: Counter) {
        this.reset();
        for (const [labels, v] of values()) this.inc(labels, v);
      },
    });
    registry.registerMetric(c);
  };

  gauge('propane_sessions', 'Open sessions on the node, by kind', ['kind'], (g) => {
    const s = sup.sessions.total();
    for (const kind of SESSION_KINDS) g.set({ kind }, s[kind]);
  });
  gauge('propane_session_limit', 'Node-wide session limit, by kind', ['kind'], (g) => {
    g.set({ kind: 'http' }, sup.config.runtimeLimits.maxConcurrentHTTPSessions);
    g.set({ kind: 'websocket' }, sup.config.runtimeLimits.maxConcurrentWebSocketSessions);
  });
  gauge('propane_sessions_leased', 'Session permits leased to workers by the ledger, by kind', ['kind'], (g) => {
    const leased = sup.sessions.leased();
    for (const kind of SESSION_KINDS) g.set({ kind }, leased[kind]);
  });
  counter('propane_rejected_total', 'Sessions refused with 503 at the node-wide limit, by reason', ['reason'], () => REJECT_REASONS.map((r) => [{ reason: r }, sup.totals.rejected[r]]));
  counter('propane_requests_total', 'Responses sent, by status class', ['class'], () => STATUS_CLASSES.map((c) => [{ class: c }, sup.totals.requests[c]]));
  counter('propane_timeouts_total', 'Connections cut by a timeout, by reason', ['reason'], () => TIMEOUT_REASONS.map((r) => [{ reason: r }, sup.totals.timeouts[r]]));
  counter('propane_worker_exits_total', 'Worker exits, by cause', ['cause'], () => Object.entries(sup.pool.exitCounts).map(([cause, n]) => [{ cause }, n]));
  counter('propane_worker_restarts_total', 'Workers respawned after an unplanned exit', [], () => [[{}, sup.pool.slots.reduce((n, s) => n + s.restarts, 0)]]);
  counter('propane_reloads_total', 'Rolling reloads, by outcome', ['outcome'], () => Object.entries(sup.reloads.counts).map(([outcome, n]) => [{ outcome }, n]));
  gauge('propane_crash_loop_slots', 'Worker slots in crash_loop', [], (g) => g.set(sup.pool.slots.filter((s) => s.crashLooping).length));
  gauge('propane_workers', 'Worker processes, by state', ['state'], (g) => {
    for (const state of ['starting', 'ready', 'draining']) g.set({ state }, [...sup.pool.workers()].filter((wp) => wp.state === state).length);
  });
  gauge('propane_worker_event_loop_lag_seconds', 'Event-loop lag (p99 over the last heartbeat) per worker', ['slot', 'pid'], (g) => {
    for (const wp of sup.pool.workers()) if (wp.stats) g.set({ slot: String(wp.slot), pid: String(wp.pid) }, wp.stats.event_loop_lag_ms / 1000);
  });
  gauge('propane_worker_rss_bytes', 'Resident set size per worker', ['slot', 'pid'], (g) => {
    for (const wp of sup.pool.workers()) if (wp.stats?.rss_bytes != null) g.set({ slot: String(wp.slot), pid: String(wp.pid) }, wp.stats.rss_bytes);
  });
  gauge('propane_supervisor_rss_bytes', 'Resident set size of the supervisor', [], (g) => {
    const rss = readRss();
    if (rss !== null) g.set(rss);
  });
  gauge('propane_cluster_quorum_met', '1 when the cluster quorum is met', [], (g) => g.set(sup.clusterState.cluster.quorum.met ? 1 : 0));
  gauge('propane_cluster_observed_nodes', 'Nodes observed in the cluster', [], (g) => g.set(sup.clusterState.cluster.observed_nodes));
  gauge('propane_cluster_expected_nodes', 'Nodes expected in the cluster', [], (g) => g.set(sup.clusterState.cluster.expected_nodes));
  gauge('propane_membership_store_up', '1 while the membership store answers (always 1 for static membership)', [], (g) => {
    const store = sup.membership.store;
    g.set(store === undefined || store.state === 'connected' ? 1 : 0);
  });
  counter('propane_membership_changes_total', 'Changes of the observed cluster membership', [], () => [[{}, sup.membership.changes]]);
  gauge('propane_cluster_state_generation', 'Generation of the cluster state pushed to workers', [], (g) => g.set(sup.clusterState.generation));
  registry.registerMetric(aggregatedHistogram('propane_request_duration_seconds', 'Request duration, from request headers to the end of the response', () => sup.totals));
  registry.registerMetric(summedHistogram('propane_reload_duration_seconds', 'Duration of rolling reloads', [1, 2.5, 5, 10, 30, 60, 120, 300], () => sup.reloads.durationsSeconds));
  return registry;
}

/** A histogram whose buckets were already counted by the workers; prom-client only formats it. */
function aggregatedHistogram(name: string, help: string, source: () => { latencyBuckets: number[]; latencySum: number; latencyCount: number }): Metric {
  return customHistogram(name, help, () => {
    const t = source();
    return { le: [...LATENCY_BUCKETS_SECONDS], cumulative: t.latencyBuckets, sum: t.latencySum, count: t.latencyCount };
  });
}

function summedHistogram(name: string, help: string, buckets: number[], samples: () => readonly number[]): Metric {
  return customHistogram(name, help, () => {
    const s = samples();
    return { le: buckets, cumulative: buckets.map((le) => s.filter((v) => v <= le).length), sum: s.reduce((a, b) => a + b, 0), count: s.length };
  });
}

function customHistogram(name: string, help: string, read: () => { le: number[]; cumulative: number[]; sum: number; count: number }): Metric {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const h = read();
      const values = [
        ...h.le.map((le, i) => ({ labels: { le }, value: h.cumulative[i] ?? 0, metricName: `${name}_bucket` })),
        { labels: { le: '+Inf' }, value: h.count, metricName: `${name}_bucket` },
        { labels: {}, value: h.sum, metricName: `${name}_sum` },
        { labels: {}, value: h.count, metricName: `${name}_count` },
      ];
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  } as unknown as Metric;
}
