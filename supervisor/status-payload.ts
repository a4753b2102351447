import { readRss } from '../shared/rss.js';
import type { StatusPayload, WorkerStatus } from '../contracts/status.js';
import { STATUS_SCHEMA_VERSION } from '../contracts/status.js';
import type { SupervisorView } from './supervisor-view.js';
import { readTcpMigrateReq } from './tcp-migrate-req.js';

/**
 * GET /status, built from what the supervisor holds once the workers' session
 * counts came back (Supervisor.refreshSessions, bounded by a short deadline),
 * so it answers while they are saturated.
 */
export function buildStatus(sup: SupervisorView): StatusPayload {
  const cluster = sup.clusterState;
  const workers: WorkerStatus[] = [];
  for (const slot of sup.pool.slots) {
    const procs = [...sup.pool.workers()].filter((wp) => wp.slot === slot.index);
    for (const wp of procs) {
      workers.push({
        slot: slot.index,
        pid: wp.pid,
        state: slot.shownStateOf(wp),
        started_at: wp.startedAt.toISOString(),
        restarts: slot.restarts,
        last_exit: slot.lastExit,
        sessions: sup.sessions.of(wp),
        sessions_stale: sup.sessions.isStale(wp),
        event_loop_lag_ms: wp.stats?.event_loop_lag_ms ?? null,
        rss_bytes: wp.stats?.rss_bytes ?? null,
        hung_kills: slot.hungKills,
        next_respawn_at: null,
      });
    }
    if (procs.length === 0 && !slot.retired) {
      workers.push({
        slot: slot.index,
        pid: null,
        state: slot.shownState,
        started_at: null,
        restarts: slot.restarts,
        last_exit: slot.lastExit,
        sessions: { http: 0, websocket: 0 },
        sessions_stale: false,
        event_loop_lag_ms: null,
        rss_bytes: null,
        hung_kills: slot.hungKills,
        next_respawn_at: slot.respawnAtMs === null ? null : new Date(slot.respawnAtMs).toISOString(),
      });
    }
  }
  const c = sup.config;
  return {
    schema_version: STATUS_SCHEMA_VERSION,
    supervisor: {
      pid: process.pid,
      version: sup.version,
      state: sup.state,
      started_at: sup.startedAt.toISOString(),
      uptime_seconds: Math.round((Date.now() - sup.startedAt.getTime()) / 100) / 10,
      rss_bytes: readRss(),
      scheduling_policy: c.propane.schedulingPolicy,
      node_version: process.version,
      tcp_migrate_req: readTcpMigrateReq(),
    },
    listen: { host: sup.host, port: sup.port },
    workers,
    totals: {
      sessions: sup.sessions.total(),
      limits: { http: c.runtimeLimits.maxConcurrentHTTPSessions, websocket: c.runtimeLimits.maxConcurrentWebSocketSessions },
      leased: sup.sessions.leased(),
      rejected: { ...sup.totals.rejected },
      hung_kills: sup.pool.slots.reduce((n, s) => n + s.hungKills, 0),
    },
    cluster: {
      enabled: cluster.cluster.enabled,
      name: cluster.cluster.name,
      node_id: cluster.cluster.node_id,
      observed_nodes: cluster.cluster.observed_nodes,
      expected_nodes: cluster.cluster.expected_nodes,
      quorum: { status: cluster.cluster.quorum.status, met: cluster.cluster.quorum.met },
      generation: cluster.generation,
      membership_source: cluster.coordination.membership_source,
      ...(cluster.cluster.members ? { members: cluster.cluster.members } : {}),
      ...(cluster.coordination.store ? { store: cluster.coordination.store } : {}),
    },
    reload: { in_progress: sup.reloads.inProgress, last: sup.reloads.last },
    tls: { enabled: sup.tls.enabled, certificates: [...sup.tls.certificates] },
  };
}
