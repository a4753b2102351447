import type { StatusPayload } from '../../contracts/status.js';

/** Marks the session counts of a worker that missed the sessions query (docs/observability.md). */
const STALE_MARK = '*';

const mb = (bytes: number | null): string => (bytes === null ? '-' : `${(bytes / 1048576).toFixed(1)}M`);

/** The readable form of GET /status for `propane status`. */
export function renderStatusTable(s: StatusPayload): string {
  const lines: string[] = [];
  const sup = s.supervisor;
  lines.push(`propane ${sup.version}  pid ${sup.pid}  ${sup.state}  up ${sup.uptime_seconds}s  rss ${mb(sup.rss_bytes)}  listen ${s.listen.host}:${s.listen.port}  scheduling ${sup.scheduling_policy}`);
  lines.push('');
  const rows = [['SLOT', 'PID', 'STATE', 'RESTARTS', 'HTTP', 'WS', 'LAG', 'RSS', 'LAST EXIT']];
  for (const w of s.workers) {
    const lastExit = w.last_exit ? `${w.last_exit.signal ?? `code ${String(w.last_exit.code)}`}${w.last_exit.cause ? ` (${w.last_exit.cause})` : ''} at ${w.last_exit.at}` : '-';
    const stale = w.sessions_stale ? STALE_MARK : '';
    rows.push([String(w.slot), w.pid === null ? '-' : String(w.pid), w.state, String(w.restarts), `${w.sessions.http}${stale}`, `${w.sessions.websocket}${stale}`, w.event_loop_lag_ms === null ? '-' : `${w.event_loop_lag_ms}ms`, mb(w.rss_bytes), lastExit]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  if (s.workers.some((w) => w.sessions_stale)) lines.push(`${STALE_MARK} the worker did not answer in time: its last report (sessions_stale)`);
  const t = s.totals;
  lines.push('');
  lines.push(`sessions  http ${t.sessions.http}/${t.limits.http}  websocket ${t.sessions.websocket}/${t.limits.websocket}  rejected http ${t.rejected.http_session_limit}  websocket ${t.rejected.websocket_session_limit}`);
  lines.push(`ledger    leased http ${t.leased.http}  websocket ${t.leased.websocket}  hung kills ${t.hung_kills}`);
  const c = s.cluster;
  lines.push(`cluster   ${c.name}  node ${c.node_id}  quorum ${c.quorum.status} (${c.quorum.met ? 'met' : 'not met'})  observed ${c.observed_nodes}/${c.expected_nodes}  source ${c.membership_source}`);
  // tcp_migrate_req decides whether a SO_REUSEPORT socket may close without resetting queued connections (docs/scheduling.md).
  lines.push(`runtime   node ${sup.node_version}  tcp_migrate_req ${sup.tcp_migrate_req ?? '-'}`);
  lines.push(`tls       ${s.tls.enabled ? s.tls.certificates.map((c) => `${c.server_name ?? 'default'} ${c.subject} until ${c.not_after}`).join('; ') : 'off'}`);
  const r = s.reload.last;
  lines.push(`reload    ${s.reload.in_progress ? 'in progress' : r ? `${r.outcome ?? 'running'} at ${r.finished_at ?? r.started_at}${r.reason ? `: ${r.reason}` : ''}` : 'none yet'}`);
  return `${lines.join('\n')}\n`;
}
