import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { openWebSocket } from '../helpers/websocket.js';

/**
 * A worker boots without zod, pino and ws (docs/architecture.md, "Worker
 * boot"): it validates IPC with the JSON Schema check, loads pino at its first
 * log line at or above the level and ws at its first upgrade, and takes
 * node:http through require, so undici stays unloaded too. The fixture app
 * lists the scripts V8 has parsed in the worker.
 */
async function loaded(node: PropaneNode): Promise<string[]> {
  const reply = await httpGet(node.port, '/loaded-modules');
  if (reply.status !== 200) throw new Error(`/loaded-modules answered ${reply.status}`);
  return JSON.parse(reply.body) as string[];
}

const has = (scripts: string[], what: RegExp): boolean => scripts.some((u) => what.test(u));
const ZOD = /\/node_modules\/zod\//;
const PINO = /\/node_modules\/pino\//;
const WS = /\/node_modules\/ws\//;
const UNDICI = /^node:internal\/deps\/undici\//;

t.test('a ready worker has loaded neither zod, nor pino, nor ws, nor undici; ws comes with the first upgrade, pino with the first error line', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('reports-loaded-modules.cjs'), workers: 1 });

  const atReady = await loaded(node);
  t.ok(has(atReady, /\/dist\/worker\/main\.js$/) && has(atReady, /\/dist\/contracts\/worker-checks\.js$/), 'the list is the worker’s own');
  t.notOk(has(atReady, ZOD), 'no zod');
  t.notOk(has(atReady, PINO), 'no pino');
  t.notOk(has(atReady, WS), 'no ws');
  t.notOk(has(atReady, UNDICI), 'no undici');

  const ws = await openWebSocket(t, node.port);
  const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send('ping');
  t.equal(await echoed, 'ping', 'the first upgrade works');
  const afterUpgrade = await loaded(node);
  t.ok(has(afterUpgrade, WS), 'ws is loaded once a client upgraded');
  t.notOk(has(afterUpgrade, PINO), 'and still no pino: nothing was logged');

  const logged = node.logs.length;
  t.equal((await httpGet(node.port, '/throw')).status, 500);
  const line = await node.waitForEvent('app_error', 10_000, logged);
  t.match(line, { level: 50, role: 'worker', slot: 0, event: 'app_error' }, 'the first error line is a complete pino line');
  const afterError = await loaded(node);
  t.ok(has(afterError, PINO), 'pino is loaded by that first line');
  t.notOk(has(afterError, ZOD), 'IPC since boot (heartbeats, cluster state) never loaded zod');
});
