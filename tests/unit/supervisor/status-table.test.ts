import t from 'tap';
import type { StatusPayload, WorkerStatus } from '../../../contracts/status.js';
import { renderStatusTable } from '../../../supervisor/commands/status-table.js';

const worker = (over: Partial<WorkerStatus>): WorkerStatus => ({
  slot: 0, pid: 4101, state: 'ready', started_at: '2026-01-01T00:00:00.000Z', restarts: 0, last_exit: null,
  sessions: { http: 3, websocket: 1 }, sessions_stale: false, event_loop_lag_ms: 0.4, rss_bytes: 52_428_800, hung_kills: 0, next_respawn_at: null, ...over,
});

const NO_TLS: StatusPayload['tls'] = { enabled: false, certificates: [] };
const TLS: StatusPayload['tls'] = {
  enabled: true,
  certificates: [
    { server_name: null, subject: 'CN=localhost, O=Propane', sans: ['DNS:localhost'], not_after: '2027-11-29T08:07:58.000Z', fingerprint_sha256: 'AB:CD' },
    { server_name: 'alpha.test', subject: 'CN=alpha.test', sans: ['DNS:alpha.test'], not_after: '2026-06-01T00:00:00.000Z', fingerprint_sha256: 'EF:01' },
  ],
};

function status(workers: WorkerStatus[], reload: StatusPayload['reload'], supervisor: Partial<StatusPayload['supervisor']> = {}, tls = NO_TLS): StatusPayload {
  return {
    schema_version: 1,
    supervisor: { pid: 4100, version: '0.1.0', state: 'running', started_at: '2026-01-01T00:00:00.000Z', uptime_seconds: 12.5, rss_bytes: 41_943_040, scheduling_policy: 'none', node_version: 'v24.22.3', tcp_migrate_req: 0, ...supervisor },
    listen: { host: '127.0.0.1', port: 3000 },
    workers,
    totals: { sessions: { http: 3, websocket: 1 }, limits: { http: 256, websocket: 64 }, leased: { http: 16, websocket: 4 }, rejected: { http_session_limit: 7, websocket_session_limit: 0 }, hung_kills: 1 },
    cluster: { enabled: false, name: 'default', node_id: 'web-1', observed_nodes: 1, expected_nodes: 1, quorum: { status: 'single_node', met: true }, generation: 3, membership_source: 'static_config' },
    reload,
    tls,
  };
}

const idle = { in_progress: false, last: null };

for (const c of [
  { name: 'the header names pid, state, uptime, RSS and the listen address', s: status([worker({})], idle), want: /^propane 0\.1\.0  pid 4100  running  up 12\.5s  rss 40\.0M  listen 127\.0\.0\.1:3000  scheduling none$/m },
  { name: 'a ready worker shows its sessions, lag and RSS', s: status([worker({})], idle), want: /^0\s+4101\s+ready\s+0\s+3\s+1\s+0\.4ms\s+50\.0M\s+-$/m },
  { name: 'a worker that missed the sessions query has its counts marked, with a note under the table', s: status([worker({ sessions_stale: true }), worker({ slot: 1, pid: 4102 })], idle), want: /^0\s+4101\s+ready\s+0\s+3\*\s+1\*\s+0\.4ms\s+50\.0M\s+-\n1\s+4102\s+ready\s+0\s+3\s+1\s+0\.4ms\s+50\.0M\s+-\n\* the worker did not answer in time: its last report \(sessions_stale\)$/m },
  { name: 'no note when every worker answered', s: status([worker({})], idle), want: /^(?![\s\S]*did not answer)/ },
  { name: 'a worker without a heartbeat yet shows - for lag and RSS', s: status([worker({ state: 'starting', event_loop_lag_ms: null, rss_bytes: null })], idle), want: /^0\s+4101\s+starting\s+0\s+3\s+1\s+-\s+-\s+-$/m },
  { name: 'a crash-looping slot shows no pid, its restarts and its last exit with the cause', s: status([worker({ pid: null, state: 'crash_loop', restarts: 6, last_exit: { code: 1, signal: null, at: '2026-01-01T00:00:09.000Z', cause: 'boot_failure' } })], idle), want: /^0\s+-\s+crash_loop\s+6\s+.*code 1 \(boot_failure\) at 2026-01-01T00:00:09\.000Z$/m },
  { name: 'a killed worker shows the signal', s: status([worker({ restarts: 1, last_exit: { code: null, signal: 'SIGKILL', at: 'T', cause: 'killed_hung' } })], idle), want: /SIGKILL \(killed_hung\) at T$/m },
  { name: 'node totals against the limits with rejections', s: status([worker({})], idle), want: /^sessions  http 3\/256  websocket 1\/64  rejected http 7  websocket 0$/m },
  { name: 'the ledger line shows leases and hung kills', s: status([worker({})], idle), want: /^ledger    leased http 16  websocket 4  hung kills 1$/m },
  { name: 'the quorum line', s: status([worker({})], idle), want: /^cluster   default  node web-1  quorum single_node \(met\)  observed 1\/1  source static_config$/m },
  { name: 'TLS off', s: status([worker({})], idle), want: /^tls       off$/m },
  { name: 'TLS on lists each certificate with its server name, subject and expiry', s: status([worker({})], idle, {}, TLS), want: /^tls       default CN=localhost, O=Propane until 2027-11-29T08:07:58\.000Z; alpha\.test CN=alpha\.test until 2026-06-01T00:00:00\.000Z$/m },
  { name: 'the runtime line shows the Node.js version and net.ipv4.tcp_migrate_req', s: status([worker({})], idle), want: /^runtime   node v24\.22\.3  tcp_migrate_req 0$/m },
  { name: 'the header names the reuse_port policy', s: status([worker({})], idle, { scheduling_policy: 'reuse_port' }), want: /  scheduling reuse_port$/m },
  { name: 'where the sysctl does not exist, tcp_migrate_req shows -', s: status([worker({})], idle, { tcp_migrate_req: null }), want: /^runtime   node v24\.22\.3  tcp_migrate_req -$/m },
  { name: 'no reload yet', s: status([worker({})], idle), want: /^reload    none yet$/m },
  { name: 'a reload in progress', s: status([worker({})], { in_progress: true, last: { started_at: 'S', finished_at: null, outcome: null, reason: null } }), want: /^reload    in progress$/m },
  { name: 'a refused reload with its reason', s: status([worker({})], { in_progress: false, last: { started_at: 'S', finished_at: 'F', outcome: 'refused', reason: 'invalid config' } }), want: /^reload    refused at F: invalid config$/m },
]) {
  t.test(c.name, async (t) => t.match(renderStatusTable(c.s), c.want));
}
