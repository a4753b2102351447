import t from 'tap';
import { WebSocket } from 'ws';
import { slowDelayMs } from '../../worker/default-app.js';
import { httpGet } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { openWebSocket } from '../helpers/websocket.js';

t.test('the embedded app serves /, /slow, POST /echo and a WebSocket echo at /ws', async (t) => {
  const node = await startPropane(t, { workers: 1, env: WORKER_PID_HEADERS });

  const root = await httpGet(node.port, '/');
  t.equal(root.status, 200);
  t.equal(root.body, `hello from propane worker ${String(root.headers['x-arlen-worker-pid'])}\n`);

  const slow = await httpGet(node.port, '/slow?ms=150');
  t.equal(slow.status, 200);
  t.equal(slow.body, 'slept 150 ms\n');
  for (const bad of ['/slow?ms=abc', '/slow?ms=-5', '/slow?ms=']) t.equal((await httpGet(node.port, bad)).status, 400, bad);

  const payload = JSON.stringify({ hello: 'propane', n: [1, 2, 3] });
  const echo = await httpGet(node.port, '/echo', { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
  t.equal(echo.status, 200);
  t.equal(echo.body, payload);
  t.equal(echo.headers['content-type'], 'application/json');
  t.equal((await httpGet(node.port, '/echo')).status, 404, 'GET /echo is not the echo');
  t.equal((await httpGet(node.port, '/nope')).status, 404);

  const ws = await openWebSocket(t, node.port);
  const next = (): Promise<{ data: string; isBinary: boolean }> => new Promise((resolve) => ws.once('message', (d, isBinary) => resolve({ data: String(d), isBinary })));
  let reply = next();
  ws.send('ping text');
  t.same(await reply, { data: 'ping text', isBinary: false });
  reply = next();
  ws.send(Buffer.from('binary!'));
  t.same(await reply, { data: 'binary!', isBinary: true });

  const other = new WebSocket(`ws://127.0.0.1:${node.port}/elsewhere`);
  t.teardown(() => other.terminate());
  const closed = await new Promise<number>((resolve) => other.once('close', (code) => resolve(code)));
  t.equal(closed, 1008, 'a WebSocket elsewhere than /ws is closed with 1008');
});

for (const c of [
  { name: 'milliseconds as given', raw: '250', want: 250 },
  { name: 'no ms means 0', raw: null, want: 0 },
  { name: 'capped at 60000', raw: '999999', want: 60_000 },
  { name: 'exactly the cap', raw: '60000', want: 60_000 },
  { name: 'fractions rounded', raw: '1.6', want: 2 },
  { name: 'negative refused', raw: '-1', want: null },
  { name: 'words refused', raw: 'soon', want: null },
  { name: 'empty refused', raw: '', want: null },
  { name: 'Infinity refused', raw: 'Infinity', want: null },
]) {
  t.test(`/slow delay: ${c.name}`, async (t) => t.equal(slowDelayMs(c.raw), c.want));
}
