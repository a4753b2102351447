import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet, rawConnect, readUntil, statusOf } from '../helpers/http.js';
import { familyOf, parseExposition, valueOf, type Exposition } from '../helpers/prometheus.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { pollUntil } from '../helpers/wait.js';

/** Polls /metrics until `pred` holds: worker counters arrive with the next heartbeat answer (about once a second). */
function scrapeUntil(node: PropaneNode, pred: (e: Exposition) => boolean): Promise<Exposition> {
  return pollUntil(() => node.metrics(), pred, 15_000);
}

t.test('GET /metrics counts known traffic across workers, rejections, timeouts, a crash and a reload', async (t) => {
  const node = await startPropane(t, {
    workers: 2,
    config: { runtimeLimits: { maxConcurrentHTTPSessions: 3 }, timeouts: { headerSeconds: 1 }, status: { port: 0 }, propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 2 } },
  });

  for (let i = 0; i < 7; i++) t.equal((await httpGet(node.port, '/')).status, 200);
  t.equal((await httpGet(node.port, '/no-such-page')).status, 404);

  // Three sessions that started their headers hold the whole limit; the fourth is refused, the three time out.
  await node.waitNoSessions();
  const held = await Promise.all([0, 1, 2].map(() => rawConnect(node.port)));
  t.teardown(() => held.forEach((s) => s.destroy()));
  for (const s of held) s.write('GET / HTTP/1.1\r\n');
  await node.waitForStatus((s) => s.totals.sessions.http === 3);
  const busy = await httpGet(node.port, '/');
  t.equal(busy.status, 503, 'the session over the limit is refused');
  const cut = await Promise.all(held.map((s) => readUntil(s, (text) => text.includes('request timeout\n'), 10_000)));
  t.same(cut.map(statusOf), [408, 408, 408], 'the held sessions get 408 after headerSeconds');
  const headerTimeouts = (): typeof node.logs => node.logs.filter((l) => l.event === 'timeout' && l.reason === 'header');
  // Timeout lines are rate-limited per reason and worker (one line, then a count of the suppressed ones),
  // so the exact number is asserted from /metrics below; the log must name each cutting worker at least once.
  await node.waitForLog((l) => l.event === 'timeout' && l.reason === 'header');
  const timeouts = headerTimeouts();
  t.ok(timeouts.length >= 1 && timeouts.length <= 3, 'header timeouts are logged, at most one line per cut');
  t.ok(timeouts.every((l) => typeof l.slot === 'number' && l.pid !== node.pid), 'each timeout is logged by its worker with the reason and the slot');
  const bp = await node.waitForEvent('backpressure');
  t.match(bp, { reason: 'http_session_limit', slot: Number }, 'the refusal is logged as backpressure with the reason');

  const e = await scrapeUntil(node, (x) => (valueOf(x, 'propane_requests_total', { class: '2xx' }) ?? 0) >= 7 && (valueOf(x, 'propane_timeouts_total', { reason: 'header' }) ?? 0) >= 3 && (valueOf(x, 'propane_rejected_total', { reason: 'http_session_limit' }) ?? 0) >= 1);
  t.ok(valueOf(e, 'propane_requests_total', { class: '2xx' })! >= 7, '7 GET / count in 2xx');
  t.ok(valueOf(e, 'propane_requests_total', { class: '4xx' })! >= 1, 'the 404 counts in 4xx');
  t.equal(valueOf(e, 'propane_requests_total', { class: '5xx' }), 0, 'no request failed');
  t.equal(valueOf(e, 'propane_rejected_total', { reason: 'http_session_limit' }), 1, 'one rejection at the HTTP limit');
  t.equal(valueOf(e, 'propane_rejected_total', { reason: 'websocket_session_limit' }), 0);
  t.equal(valueOf(e, 'propane_timeouts_total', { reason: 'header' }), 3, 'three header timeouts');
  t.equal(valueOf(e, 'propane_timeouts_total', { reason: 'body' }), 0);
  t.equal(valueOf(e, 'propane_session_limit', { kind: 'http' }), 3);
  t.equal(valueOf(e, 'propane_workers', { state: 'ready' }), 2);
  t.equal(valueOf(e, 'propane_cluster_quorum_met'), 1);

  const count = valueOf(e, 'propane_request_duration_seconds_count')!;
  t.ok(count >= 8, 'every answered request is in the latency histogram');
  const buckets = e.samples.filter((s) => s.name === 'propane_request_duration_seconds_bucket');
  for (let i = 1; i < buckets.length; i++) t.ok(buckets[i]!.value >= buckets[i - 1]!.value, `bucket le=${buckets[i]!.labels.le} is cumulative`);
  t.equal(buckets.at(-1)!.labels.le, '+Inf');
  t.equal(buckets.at(-1)!.value, count, 'the +Inf bucket equals the count');

  for (const s of e.samples) {
    const family = familyOf(e, s.name);
    t.ok(family?.startsWith('propane_') && e.help.has(family), `${s.name} is a propane_* family with # HELP and # TYPE`);
  }
  for (const pid of (await node.readyWorkerPids())) {
    t.ok(e.samples.some((s) => s.name === 'propane_worker_rss_bytes' && s.labels.pid === String(pid)), `RSS is reported for worker ${pid}`);
    t.ok(e.samples.some((s) => s.name === 'propane_worker_event_loop_lag_seconds' && s.labels.pid === String(pid)), `lag is reported for worker ${pid}`);
  }

  // A killed worker counts as a crash and a restart; the counters it reported stay.
  const before = (await node.status()).workers[0]!.pid!;
  process.kill(before, 'SIGKILL');
  await node.waitForStatus((s) => s.workers[0]!.state === 'ready' && s.workers[0]!.pid !== before);
  const afterCrash = await node.metrics();
  t.equal(valueOf(afterCrash, 'propane_worker_exits_total', { cause: 'crash' }), 1, 'the SIGKILLed worker counts as a crash');
  t.equal(valueOf(afterCrash, 'propane_worker_restarts_total'), 1);
  t.ok(valueOf(afterCrash, 'propane_requests_total', { class: '2xx' })! >= 7, 'counters do not go backwards when a worker exits');

  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  const afterReload = await scrapeUntil(node, (x) => valueOf(x, 'propane_worker_exits_total', { cause: 'planned' }) === 2);
  t.equal(valueOf(afterReload, 'propane_reloads_total', { outcome: 'completed' }), 1, 'the reload counts as completed');
  t.equal(valueOf(afterReload, 'propane_reloads_total', { outcome: 'aborted' }), 0);
  t.equal(valueOf(afterReload, 'propane_reload_duration_seconds_count'), 1);
  t.equal(valueOf(afterReload, 'propane_worker_exits_total', { cause: 'planned' }), 2, 'the two drained workers count as planned exits');
  t.equal(valueOf(afterReload, 'propane_worker_exits_total', { cause: 'crash' }), 1);

  const statusPort = node.logs.find((l) => l.event === 'supervisor_started')?.status_port as number;
  const overTcp = await httpGet(statusPort, '/metrics', { timeoutMs: 5_000 });
  t.equal(overTcp.status, 200, 'the TCP status listener serves /metrics too');
  t.equal(valueOf(parseExposition(overTcp.body), 'propane_reloads_total', { outcome: 'completed' }), 1);
});
