import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';

const MADE = /^[0-9a-f]{32}$/;

t.test('X-Request-Id: a safe one from the client is echoed with its X-Correlation-Id twin and logged; a missing or unsafe one is replaced by a fresh 32-hex id', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--log-level', 'debug'] });
  const given = await httpGet(node.port, '/', { headers: { 'x-request-id': 'req-42.abc:def@x/y+z=' } });
  t.equal(given.headers['x-request-id'], 'req-42.abc:def@x/y+z=');
  t.equal(given.headers['x-correlation-id'], 'req-42.abc:def@x/y+z=');
  const logged = await node.waitForLog((l) => l.event === 'request' && l.request_id === 'req-42.abc:def@x/y+z=');
  t.match(logged, { method: 'GET', url: '/', status: 200, role: 'worker', slot: 0 });

  const made: string[] = [];
  for (const headers of [{}, { 'x-request-id': 'has spaces in it' }, { 'x-request-id': 'x'.repeat(201) }, { 'x-request-id': '"quoted"' }, { 'x-request-id': '<script>' }, { 'x-request-id': '' }] as Array<Record<string, string>>) {
    const res = await httpGet(node.port, '/healthz', { headers });
    const id = String(res.headers['x-request-id']);
    t.match(id, MADE, `replaced: ${JSON.stringify(headers)}`);
    t.equal(res.headers['x-correlation-id'], id, 'its twin carries the same id');
    made.push(id);
  }
  t.equal(new Set(made).size, made.length, 'each made id is fresh');
  t.notOk(node.logs.some((l) => l.request_id === 'has spaces in it'), 'an unsafe id is never logged');
});

t.test('GET /healthz answers 200 ok from every worker, before the app', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('esm-request-listener.mjs'), workers: 3, args: ['--scheduling-policy', 'round_robin'], env: WORKER_PID_HEADERS });
  const expected = new Set((await node.status()).workers.map((w) => String(w.pid)));
  const seen = new Set<string>();
  for (let i = 0; i < 30 && seen.size < expected.size; i++) {
    const res = await httpGet(node.port, '/healthz');
    t.equal(res.status, 200);
    t.equal(res.body, 'ok\n', 'the built-in, not the app');
    seen.add(String(res.headers['x-arlen-worker-pid']));
  }
  t.same(seen, expected, 'every worker answered');
  t.equal((await httpGet(node.port, '/other')).body, 'listener mjs GET /other\n', 'the app serves the rest');
});
