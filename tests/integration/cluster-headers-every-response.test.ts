import { hostname } from 'node:os';
import t from 'tap';
import { httpGet, rawConnect, sendRaw } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';

const NAMES = ['x-arlen-cluster', 'x-arlen-node', 'x-arlen-worker-pid', 'x-arlen-cluster-status', 'x-arlen-cluster-observed-nodes', 'x-arlen-cluster-expected-nodes'];

const CONFIG = {
  cluster: { enabled: true, name: 'green', nodeId: 'node-7', expectedNodes: 3, observedNodes: 2 },
  timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 1, writeSeconds: 1 },
  runtimeLimits: { maxConcurrentHTTPSessions: 1 },
};

t.test('with cluster.enabled, cluster.emitHeaders defaults to true and every response carries the six cluster headers', async (t) => {
  const node = await startPropane(t, { workers: 1, config: CONFIG });
  const [pid] = await node.readyWorkerPids();
  const want = {
    'x-arlen-cluster': 'green',
    'x-arlen-node': 'node-7',
    'x-arlen-worker-pid': String(pid),
    'x-arlen-cluster-status': 'degraded',
    'x-arlen-cluster-observed-nodes': '2',
    'x-arlen-cluster-expected-nodes': '3',
  };
  const pick = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(NAMES.map((n) => [n, h[n]]));

  for (const path of ['/', '/nope', '/healthz', '/readyz', '/clusterz']) {
    const res = await httpGet(node.port, path);
    t.same(pick(res.headers), want, `GET ${path} (${res.status})`);
  }
  const timeout = await sendRaw(node.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
  t.equal(timeout.status, 408);
  t.same(pick(timeout.headers), want, 'the 408');
  const bad = await sendRaw(node.port, 'NOT HTTP AT ALL\r\n\r\n');
  t.equal(bad.status, 400);
  t.same(pick(bad.headers), want, 'the 400');

  const holder = await rawConnect(node.port);
  t.teardown(() => holder.destroy());
  holder.write('GET /slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n');
  let busy = { status: 0, headers: {} as Record<string, string> };
  for (let i = 0; i < 50 && busy.status !== 503; i++) busy = await sendRaw(node.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(busy.status, 503, 'the node is at its session limit');
  t.same(pick(busy.headers), want, 'the 503');
});

t.test('with cluster.emitHeaders false, an enabled cluster\'s responses carry none of them', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { ...CONFIG, cluster: { ...CONFIG.cluster, emitHeaders: false } } });
  for (const path of ['/', '/nope', '/readyz']) {
    const res = await httpGet(node.port, path);
    t.same(NAMES.filter((n) => n in res.headers), [], `GET ${path}`);
  }
  const timeout = await sendRaw(node.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
  t.equal(timeout.status, 408);
  t.same(NAMES.filter((n) => n in timeout.headers), [], 'the 408');
  t.equal(timeout.headers['x-arlen-timeout-reason'], 'header');
});

t.test('on a single node no response carries them by default; an explicit true brings them back, from the file or the environment', async (t) => {
  const single = { timeouts: CONFIG.timeouts, runtimeLimits: CONFIG.runtimeLimits };
  const quiet = await startPropane(t, { workers: 1, config: single });
  for (const path of ['/', '/nope', '/healthz']) {
    const res = await httpGet(quiet.port, path);
    t.same(NAMES.filter((n) => n in res.headers), [], `GET ${path} (cluster.enabled false)`);
  }
  const timeout = await sendRaw(quiet.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
  t.equal(timeout.status, 408);
  t.same(NAMES.filter((n) => n in timeout.headers), [], 'the 408');

  for (const [how, opts] of [
    ['cluster.emitHeaders true in the file', { config: { ...single, cluster: { emitHeaders: true } } }],
    ['ARLEN_CLUSTER_EMIT_HEADERS=true', { config: single, env: { ARLEN_CLUSTER_EMIT_HEADERS: 'true' } }],
  ] as const) {
    const node = await startPropane(t, { workers: 1, ...opts });
    const [pid] = await node.readyWorkerPids();
    const res = await httpGet(node.port, '/');
    t.same(
      Object.fromEntries(NAMES.map((n) => [n, res.headers[n]])),
      { 'x-arlen-cluster': 'default', 'x-arlen-node': hostname(), 'x-arlen-worker-pid': String(pid), 'x-arlen-cluster-status': 'single_node', 'x-arlen-cluster-observed-nodes': '1', 'x-arlen-cluster-expected-nodes': '1' },
      how,
    );
    await node.stop();
  }
});
