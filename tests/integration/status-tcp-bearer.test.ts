import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';

const TOKEN = 'status-token-0123456789abcdef';

async function tcpPort(node: PropaneNode): Promise<number> {
  const line = await node.waitForEvent('supervisor_started');
  const port = line.status_port;
  if (typeof port !== 'number') throw new Error(`no status_port in ${JSON.stringify(line)}`);
  return port;
}

t.test('status.port serves reads openly on 127.0.0.1 and control only with the bearer token', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { status: { port: 0, token: TOKEN } } });
  const port = await tcpPort(node);

  const status = await httpGet(port, '/status');
  t.equal(status.status, 200, 'GET /status needs no token');
  t.equal(JSON.parse(status.body).supervisor.pid, node.pid);
  const metrics = await httpGet(port, '/metrics');
  t.equal(metrics.status, 200, 'GET /metrics needs no token');
  t.match(metrics.body, /^# HELP propane_/m);

  const rows: Array<{ name: string; path: string; headers: Record<string, string> }> = [
    { name: 'POST /reload without a token', path: '/reload', headers: {} },
    { name: 'POST /reload with a wrong token', path: '/reload', headers: { Authorization: 'Bearer not-the-token-0123456789' } },
    { name: 'POST /reload with a token of another length', path: '/reload', headers: { Authorization: 'Bearer x' } },
    { name: 'POST /reload with the token but another scheme', path: '/reload', headers: { Authorization: `Basic ${TOKEN}` } },
    { name: 'POST /stop without a token', path: '/stop', headers: {} },
  ];
  for (const c of rows) {
    const res = await httpGet(port, c.path, { method: 'POST', headers: c.headers });
    t.equal(res.status, 401, c.name);
    t.equal(res.headers['www-authenticate'], 'Bearer', `${c.name}: names the scheme`);
  }
  t.equal((await node.status()).supervisor.state, 'running', 'nothing was reloaded or stopped');

  const reload = await httpGet(port, '/reload', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, timeoutMs: 30_000 });
  t.equal(reload.status, 200, 'POST /reload with the token reloads');
  t.equal(JSON.parse(reload.body).outcome, 'completed');

  const stop = await httpGet(port, '/stop', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
  t.equal(stop.status, 202, 'POST /stop with the token stops');
  const exited = await node.exited;
  t.equal(exited.code, 0);
  const stopped = await node.stop();
  t.same(stopped.leftovers, []);
});

t.test('without status.token the TCP listener serves reads only', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { status: { port: 0 } } });
  const port = await tcpPort(node);
  t.equal((await httpGet(port, '/status')).status, 200);
  const reload = await httpGet(port, '/reload', { method: 'POST' });
  t.equal(reload.status, 401);
  t.match(JSON.parse(reload.body).error.message, /status\.token/);
  t.equal((await httpGet(port, '/stop', { method: 'POST', headers: { Authorization: 'Bearer anything-at-all-0123' } })).status, 401);
});

t.test('under strict the TCP listener needs the token for reads too; the Unix socket does not', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { securityProfile: 'strict', status: { port: 0, token: TOKEN } } });
  const port = await tcpPort(node);
  t.equal((await httpGet(port, '/status')).status, 401);
  t.equal((await httpGet(port, '/metrics')).status, 401);
  t.equal((await httpGet(port, '/status', { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
  t.equal((await node.status()).supervisor.pid, node.pid, 'the 0600 Unix socket stays open to its owner');
});
