import t from 'tap';
import { LATENCY_BUCKETS_SECONDS } from '../../../contracts/ipc.js';
import { createMetrics } from '../../../supervisor/metrics.js';
import { NodeTotals } from '../../../supervisor/node-totals.js';
import type { SupervisorView } from '../../../supervisor/supervisor-view.js';
import { familyOf, parseExposition, promtoolProblems, requirePromtool, valueOf } from '../../helpers/prometheus.js';

/** The parts of a supervisor that GET /metrics reads, as plain data. */
function supervisorSnapshot(): SupervisorView {
  const totals = new NodeTotals();
  totals.add(1, {
    sessions: { http: 2, websocket: 1 },
    event_loop_lag_ms: 1.5,
    rss_bytes: 50_000_000,
    requests: { '1xx': 0, '2xx': 7, '3xx': 0, '4xx': 1, '5xx': 0 },
    rejected: { http_session_limit: 3, websocket_session_limit: 0 },
    timeouts: { header: 1, body: 0, idle: 2, write: 0, pong: 0, handshake: 4 },
    tls_handshake_failures: { protocol: 5, no_client_certificate: 0, bad_client_certificate: 1, other: 0 },
    latency: { bucket_counts: LATENCY_BUCKETS_SECONDS.map((_, i) => Math.min(8, 5 + i)), sum_seconds: 0.04, count: 8 },
  });
  const proc = { slot: 0, pid: 4101, state: 'ready', stats: { event_loop_lag_ms: 1.5, rss_bytes: 50_000_000 } };
  return {
    config: { runtimeLimits: { maxConcurrentHTTPSessions: 16, maxConcurrentWebSocketSessions: 4 } },
    sessions: { total: () => ({ http: 2, websocket: 1 }), leased: () => ({ http: 6, websocket: 2 }) },
    totals,
    pool: {
      exitCounts: { crash: 2, killed_hung: 1, planned: 3, boot_failure: 0 },
      slots: [{ restarts: 3, crashLooping: true }, { restarts: 0, crashLooping: false }],
      workers: () => [proc],
    },
    reloads: { counts: { completed: 1, refused: 2, aborted: 0 }, durationsSeconds: [0.8, 3] },
    clusterState: { generation: 9, cluster: { quorum: { met: true }, observed_nodes: 1, expected_nodes: 1 } },
    membership: { changes: 0 },
    tls: {
      enabled: true,
      certificates: [
        { server_name: null, subject: 'CN=localhost', sans: ['DNS:localhost'], not_after: '2027-11-29T08:07:58.000Z', fingerprint_sha256: 'AB:CD' },
        { server_name: '*.alpha.test', subject: 'CN=alpha.test', sans: ['DNS:*.alpha.test'], not_after: '2026-06-01T00:00:00.500Z', fingerprint_sha256: 'EF:01' },
      ],
    },
  } as unknown as SupervisorView;
}

t.test('every family is named propane_* and has # HELP and # TYPE', async (t) => {
  const e = parseExposition(await createMetrics(supervisorSnapshot()).metrics());
  t.ok(e.samples.length > 30);
  for (const s of e.samples) {
    const family = familyOf(e, s.name);
    t.ok(family?.startsWith('propane_'), `${s.name} belongs to a propane_* family`);
    t.ok(e.help.get(family!), `${family} has # HELP`);
  }
});

interface Row {
  name: string;
  metric: string;
  labels: Record<string, string>;
  type: string;
  want: number;
}

const rows: Row[] = [
  { name: 'sessions are a gauge by kind', metric: 'propane_sessions', labels: { kind: 'websocket' }, type: 'gauge', want: 1 },
  { name: 'the limit is a gauge by kind', metric: 'propane_session_limit', labels: { kind: 'http' }, type: 'gauge', want: 16 },
  { name: 'leased permits are a gauge by kind', metric: 'propane_sessions_leased', labels: { kind: 'http' }, type: 'gauge', want: 6 },
  { name: 'requests are counted by status class', metric: 'propane_requests_total', labels: { class: '2xx' }, type: 'counter', want: 7 },
  { name: '4xx is its own class', metric: 'propane_requests_total', labels: { class: '4xx' }, type: 'counter', want: 1 },
  { name: 'rejections are counted by reason', metric: 'propane_rejected_total', labels: { reason: 'http_session_limit' }, type: 'counter', want: 3 },
  { name: 'timeouts are counted by reason', metric: 'propane_timeouts_total', labels: { reason: 'idle' }, type: 'counter', want: 2 },
  { name: 'a handshake timeout counts as a timeout', metric: 'propane_timeouts_total', labels: { reason: 'handshake' }, type: 'counter', want: 4 },
  { name: 'failed TLS handshakes are counted by reason', metric: 'propane_tls_handshake_failures_total', labels: { reason: 'protocol' }, type: 'counter', want: 5 },
  { name: 'a bad client certificate is its own reason', metric: 'propane_tls_handshake_failures_total', labels: { reason: 'bad_client_certificate' }, type: 'counter', want: 1 },
  { name: 'the default certificate expires at its notAfter, as Unix time, labelled default', metric: 'propane_tls_certificate_expiry_seconds', labels: { server_name: 'default' }, type: 'gauge', want: 1_827_475_678 },
  { name: 'an SNI certificate carries its server name, whole seconds', metric: 'propane_tls_certificate_expiry_seconds', labels: { server_name: '*.alpha.test' }, type: 'gauge', want: 1_780_272_000 },
  { name: 'worker exits are counted by cause', metric: 'propane_worker_exits_total', labels: { cause: 'killed_hung' }, type: 'counter', want: 1 },
  { name: 'restarts sum over slots', metric: 'propane_worker_restarts_total', labels: {}, type: 'counter', want: 3 },
  { name: 'reloads are counted by outcome', metric: 'propane_reloads_total', labels: { outcome: 'refused' }, type: 'counter', want: 2 },
  { name: 'crash-looping slots are a gauge', metric: 'propane_crash_loop_slots', labels: {}, type: 'gauge', want: 1 },
  { name: 'workers are a gauge by state', metric: 'propane_workers', labels: { state: 'ready' }, type: 'gauge', want: 1 },
  { name: 'lag is per worker in seconds', metric: 'propane_worker_event_loop_lag_seconds', labels: { slot: '0', pid: '4101' }, type: 'gauge', want: 0.0015 },
  { name: 'RSS is per worker', metric: 'propane_worker_rss_bytes', labels: { slot: '0', pid: '4101' }, type: 'gauge', want: 50_000_000 },
  { name: 'quorum is 1 when met', metric: 'propane_cluster_quorum_met', labels: {}, type: 'gauge', want: 1 },
  { name: 'the cluster state generation is a gauge', metric: 'propane_cluster_state_generation', labels: {}, type: 'gauge', want: 9 },
  { name: 'the latency histogram counts every timed request', metric: 'propane_request_duration_seconds_count', labels: {}, type: 'histogram', want: 8 },
  { name: 'the latency +Inf bucket equals the count', metric: 'propane_request_duration_seconds_bucket', labels: { le: '+Inf' }, type: 'histogram', want: 8 },
  { name: 'the reload duration histogram counts every reload', metric: 'propane_reload_duration_seconds_count', labels: {}, type: 'histogram', want: 2 },
  { name: 'reload durations fall in their buckets', metric: 'propane_reload_duration_seconds_bucket', labels: { le: '1' }, type: 'histogram', want: 1 },
];

for (const c of rows) {
  t.test(c.name, async (t) => {
    const e = parseExposition(await createMetrics(supervisorSnapshot()).metrics());
    t.equal(e.type.get(familyOf(e, c.metric)!), c.type);
    t.equal(valueOf(e, c.metric, c.labels), c.want);
  });
}

t.test('histogram buckets are cumulative and end at the count', async (t) => {
  const e = parseExposition(await createMetrics(supervisorSnapshot()).metrics());
  const buckets = e.samples.filter((s) => s.name === 'propane_request_duration_seconds_bucket');
  t.equal(buckets.length, LATENCY_BUCKETS_SECONDS.length + 1);
  for (let i = 1; i < buckets.length; i++) t.ok(buckets[i]!.value >= buckets[i - 1]!.value, `bucket le=${buckets[i]!.labels.le} >= the previous one`);
  t.equal(buckets.at(-1)!.value, valueOf(e, 'propane_request_duration_seconds_count'));
});

t.test('the exposition passes promtool check metrics', async (t) => {
  if (!requirePromtool(t)) return;
  t.equal(promtoolProblems(await createMetrics(supervisorSnapshot()).metrics()), '');
});
