import t from 'tap';
import { ReadinessPayload } from '../../contracts/cluster.js';
import { runCli } from '../helpers/cli.js';
import { httpGet, isCompleteResponse, rawConnect, readUntil, statusOf } from '../helpers/http.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';

/** Samples fresh connections until `want` distinct workers answered `path`; returns one reply per worker pid. */
async function perWorker(node: PropaneNode, path: string, want: number, headers: Record<string, string> = {}): Promise<Map<string, { status: number; body: string }>> {
  const seen = new Map<string, { status: number; body: string }>();
  for (let i = 0; i < 200 && seen.size < want; i++) {
    const res = await httpGet(node.port, path, { headers });
    seen.set(String(res.headers['x-arlen-worker-pid']), { status: res.status, body: res.body });
  }
  return seen;
}

t.test('built-ins answer before the app with the exact bodies', async (t) => {
  const node = await startPropane(t, { workers: 1 });
  for (const c of [
    { path: '/healthz', status: 200, body: 'ok\n' },
    { path: '/livez', status: 200, body: 'live\n' },
    { path: '/readyz', status: 200, body: 'ready\n' },
  ]) {
    const res = await httpGet(node.port, c.path);
    t.equal(res.status, c.status, `${c.path} status`);
    t.equal(res.body, c.body, `${c.path} body`);
    t.match(res.headers['content-type'], /^text\/plain/);
  }
  const asks: Array<{ path: string; headers: Record<string, string> }> = [{ path: '/readyz?format=json', headers: {} }, { path: '/readyz', headers: { Accept: 'application/json' } }];
  for (const ask of asks) {
    const res = await httpGet(node.port, ask.path, { headers: ask.headers });
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    const body = ReadinessPayload.parse(JSON.parse(res.body));
    t.equal(body.status, 'ready');
    t.equal(body.ready, true);
    t.same(body.checks.cluster_quorum, { ok: true, required_for_readyz: false, status: 'single_node', observed_nodes: 1, expected_nodes: 1 });
  }
  const post = await httpGet(node.port, '/healthz', { method: 'POST' });
  t.equal(post.status, 405, 'a built-in path takes GET only');
});

t.test('every worker answers /readyz and /clusterz identically', async (t) => {
  const node = await startPropane(t, { workers: 3, args: ['--scheduling-policy', 'round_robin'], config: { cluster: { enabled: true, name: 'blue', nodeId: 'n1', expectedNodes: 2, observedNodes: 2 } } });
  const ready = await perWorker(node, '/readyz?format=json', 3);
  t.ok(ready.size >= 2, `sampled ${ready.size} workers`);
  const readyBodies = new Set([...ready.values()].map((r) => `${r.status} ${r.body}`));
  t.equal(readyBodies.size, 1, 'one /readyz answer across workers');
  const clusterz = await perWorker(node, '/clusterz', 3);
  t.ok(clusterz.size >= 2, `sampled ${clusterz.size} workers`);
  const bodies = new Set([...clusterz.values()].map((r) => r.body));
  t.equal(bodies.size, 1, 'one /clusterz answer across workers');
});

t.test('/readyz is 503 not_ready on every worker when quorum is required and not met', async (t) => {
  const node = await startPropane(t, {
    workers: 2,
    args: ['--scheduling-policy', 'round_robin'],
    config: { cluster: { enabled: true, expectedNodes: 3, observedNodes: 1 }, observability: { readinessRequiresClusterQuorum: true } },
  });
  const text = await perWorker(node, '/readyz', 2);
  for (const [pid, r] of text) {
    t.equal(r.status, 503, `worker ${pid}`);
    t.equal(r.body, 'not_ready\n');
  }
  const res = await httpGet(node.port, '/readyz', { headers: { Accept: 'application/json' } });
  t.equal(res.status, 503);
  const body = ReadinessPayload.parse(JSON.parse(res.body));
  t.equal(body.status, 'not_ready');
  t.equal(body.ready, false);
  t.same(body.checks.cluster_quorum, { ok: false, required_for_readyz: true, status: 'degraded', observed_nodes: 1, expected_nodes: 3 });
  t.equal((await httpGet(node.port, '/healthz')).status, 200, 'liveness does not follow quorum');
});

t.test('a missing quorum does not fail readiness unless readinessRequiresClusterQuorum holds', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { cluster: { enabled: true, expectedNodes: 3, observedNodes: 0 } } });
  const res = await httpGet(node.port, '/readyz?format=json');
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body).checks.cluster_quorum, { ok: true, required_for_readyz: false, status: 'partitioned', observed_nodes: 0, expected_nodes: 3 });
});

t.test('the environment sets observed nodes and the quorum requirement, legacy MOJOOBJC_* names included', async (t) => {
  const node = await startPropane(t, {
    workers: 1,
    config: { cluster: { enabled: true, expectedNodes: 2 } },
    env: { MOJOOBJC_CLUSTER_OBSERVED_NODES: '1', MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' },
  });
  const res = await httpGet(node.port, '/readyz?format=json');
  t.equal(res.status, 503);
  t.same(JSON.parse(res.body).checks.cluster_quorum, { ok: false, required_for_readyz: true, status: 'degraded', observed_nodes: 1, expected_nodes: 2 });

  const rows: Array<{ name: string; env: Record<string, string>; observed: number; required: boolean }> = [
    { name: 'ARLEN_ names', env: { ARLEN_CLUSTER_OBSERVED_NODES: '4', ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' }, observed: 4, required: true },
    { name: 'MOJOOBJC_ fallbacks', env: { MOJOOBJC_CLUSTER_OBSERVED_NODES: '2', MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM: '1' }, observed: 2, required: true },
    { name: 'ARLEN_ wins over MOJOOBJC_', env: { ARLEN_CLUSTER_OBSERVED_NODES: '3', MOJOOBJC_CLUSTER_OBSERVED_NODES: '9', ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM: 'false', MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' }, observed: 3, required: false },
  ];
  for (const c of rows) {
    const out = await runCli(['config', '--json'], { env: c.env });
    t.equal(out.code, 0, `${c.name}: ${out.stderr}`);
    const config = JSON.parse(out.stdout);
    t.equal(config.cluster.observedNodes, c.observed, `${c.name}: observedNodes`);
    t.equal(config.observability.readinessRequiresClusterQuorum, c.required, `${c.name}: readinessRequiresClusterQuorum`);
  }
});

t.test('expectedNodes clamps to >= 1, observedNodes to >= 0 and defaults to expectedNodes', async (t) => {
  const rows: Array<{ name: string; env: Record<string, string>; expected: number; observed: number }> = [
    { name: 'expected 0 becomes 1', env: { ARLEN_CLUSTER_EXPECTED_NODES: '0' }, expected: 1, observed: 1 },
    { name: 'negative expected becomes 1', env: { ARLEN_CLUSTER_EXPECTED_NODES: '-4' }, expected: 1, observed: 1 },
    { name: 'negative observed becomes 0', env: { ARLEN_CLUSTER_EXPECTED_NODES: '3', ARLEN_CLUSTER_OBSERVED_NODES: '-2' }, expected: 3, observed: 0 },
    { name: 'observed defaults to expected', env: { ARLEN_CLUSTER_EXPECTED_NODES: '5' }, expected: 5, observed: 5 },
  ];
  for (const c of rows) {
    const out = await runCli(['config', '--json'], { env: c.env });
    t.equal(out.code, 0, `${c.name}: ${out.stderr}`);
    const cluster = JSON.parse(out.stdout).cluster;
    t.same({ expected: cluster.expectedNodes, observed: cluster.observedNodes }, { expected: c.expected, observed: c.observed }, c.name);
  }
});

/**
 * Leaves an unfinished /readyz request on the node's only worker, sends
 * `signal` to the supervisor, and finishes the request once that worker
 * drains, so it is answered by the draining worker. `from` is the log index
 * before the signal.
 */
async function readyzWhileDraining(t: { teardown(fn: () => void): void }, node: PropaneNode, signal: NodeJS.Signals): Promise<{ status: number; body: ReadinessPayload; raw: string; from: number }> {
  const [pid] = await node.readyWorkerPids();
  const s = await rawConnect(node.port);
  t.teardown(() => s.destroy());
  s.write('GET /readyz?format=json HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const from = node.logs.length;
  node.proc.kill(signal);
  await node.waitForLog((l) => l.event === 'worker_draining' && l.pid === pid, 15_000, from);
  s.write('\r\n');
  const raw = await readUntil(s, isCompleteResponse, 5_000);
  return { status: statusOf(raw), body: ReadinessPayload.parse(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))), raw, from };
}

t.test('/readyz is not_ready while this worker drains during a reload', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--graceful-shutdown-seconds', '5', '--reload-overlap-seconds', '0'] });
  const { status, body, raw, from } = await readyzWhileDraining(t, node, 'SIGHUP');
  t.equal(status, 503);
  t.equal(body.status, 'not_ready');
  t.same(body.checks.worker_draining, { ok: false }, 'this worker drains');
  t.same(body.checks.node_accepting, { ok: true }, 'the node itself is not shutting down');
  t.match(raw, /\r\nconnection: close\r\n/i);
  await node.waitForEvent('reload_completed', 15_000, from);
  const after = await httpGet(node.port, '/readyz');
  t.equal(after.status, 200, 'the replacement is ready');
});

t.test('/readyz is not_ready while the node shuts down', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--graceful-shutdown-seconds', '5'] });
  const { status, body } = await readyzWhileDraining(t, node, 'SIGTERM');
  t.equal(status, 503);
  t.equal(body.status, 'not_ready');
  t.same(body.checks.node_accepting, { ok: false }, 'the node is shutting down');
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});
