import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { readUntil } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { openSession, type Session } from '../helpers/sessions.js';
import { openWebSocket } from '../helpers/websocket.js';

// Session accounting (docs/operations.md): the sessions of a worker that is
// killed or drained leave the node-wide totals when it goes, so new sessions
// are admitted.

async function holdSession(port: number, t: { teardown(fn: () => void): void }): Promise<Session> {
  const session = await openSession(port);
  t.teardown(() => session.socket.destroy());
  return session;
}

t.test('the sessions of a SIGKILLed worker leave the totals at once and their permits admit new sessions', async (t) => {
  const LIMIT = 4;
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', String(LIMIT)], env: WORKER_PID_HEADERS });
  const held = [];
  for (let i = 0; i < LIMIT; i++) held.push(await holdSession(node.port, t));
  t.same(held.map((h) => h.status), Array(LIMIT).fill(200), 'the limit is in use');
  const refused = await holdSession(node.port, t);
  t.equal(refused.status, 503, 'one more is refused while all are held');
  await node.waitForStatus((s) => s.totals.sessions.http === LIMIT, 10_000);

  const counts = new Map<number, number>();
  for (const h of held) counts.set(h.pid, (counts.get(h.pid) ?? 0) + 1);
  const [victim, victimSessions] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const survivors = LIMIT - victimSessions;
  const leasedBefore = (await node.status()).totals.leased.http;
  process.kill(victim, 'SIGKILL');
  const status = await node.waitForStatus((s) => s.totals.sessions.http === survivors && !s.workers.some((w) => w.pid === victim), 10_000);
  t.equal(status.totals.sessions.http, survivors, `the ${victimSessions} sessions of the killed worker left the totals`);
  t.ok(status.totals.leased.http <= leasedBefore, `leased went from ${leasedBefore} to ${status.totals.leased.http}`);

  await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length === 2, 20_000);
  const fresh = [];
  for (let i = 0; i < victimSessions; i++) fresh.push(await holdSession(node.port, t));
  t.same(fresh.map((h) => h.status), Array(victimSessions).fill(200), 'the freed permits admit new sessions');
  t.equal((await holdSession(node.port, t)).status, 503, 'and the limit still holds');
});

t.test('a reload closes WebSockets with 1012 and idle keep-alive connections, and their sessions leave the totals', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--max-websocket-sessions', '1'], config: { propane: { reloadOverlapSeconds: 0 } }, env: WORKER_PID_HEADERS });
  const ws = await openWebSocket(t, node.port);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const idle = await holdSession(node.port, t);
  t.equal(idle.status, 200);
  const idleClosed = readUntil(idle.socket, () => false, 30_000);
  await node.waitForStatus((s) => s.totals.sessions.websocket === 1 && s.totals.sessions.http === 1, 10_000);

  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  t.equal(await closed, 1012, 'the WebSocket closed with 1012 (service restart)');
  t.equal(await idleClosed, '', 'the idle keep-alive connection was closed without a byte');
  const status = await node.waitForStatus((s) => s.totals.sessions.websocket === 0 && s.totals.sessions.http === 0, 10_000);
  t.same(status.totals.sessions, { http: 0, websocket: 0 });

  const again = await openWebSocket(t, node.port);
  const echo = new Promise<string>((resolve) => again.once('message', (d) => resolve(String(d))));
  again.send('still here');
  t.equal(await echo, 'still here', 'a new WebSocket is admitted under the limit of 1');
});
