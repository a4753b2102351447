import type { Socket } from 'node:net';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { admitSessions, closeAll } from '../helpers/sessions.js';

/**
 * A worker that cannot answer the sessions query in time (here: stopped with
 * SIGSTOP) is shown with its last report and `sessions_stale: true`, and
 * /status still answers (docs/observability.md, "GET /status").
 */
t.test('a stopped worker shows its last report, marked sessions_stale, while /status answers', async (t) => {
  // round_robin spreads the sessions over both workers; the heartbeat monitor must not kill the stopped one meanwhile.
  const node = await startPropane(t, { workers: 2, args: ['--scheduling-policy', 'round_robin'], config: { timeouts: { idleSeconds: 120 }, propane: { workerTimeoutSeconds: 120 } }, env: WORKER_PID_HEADERS });
  const held: Socket[] = [];
  t.teardown(() => closeAll(held));
  const sessions = await admitSessions(node.port, 4, held);
  const perPid = new Map<number, number>();
  for (const s of sessions) perPid.set(s.pid, (perPid.get(s.pid) ?? 0) + 1);
  t.equal(perPid.size, 2, 'both workers hold sessions');

  const before = await node.status();
  t.same(before.workers.map((w) => [w.sessions.http, w.sessions_stale]), before.workers.map((w) => [perPid.get(w.pid!), false]), 'both answered, exactly');

  const [stopped, running] = before.workers.map((w) => w.pid!);
  process.kill(stopped!, 'SIGSTOP');
  t.teardown(() => process.kill(stopped!, 'SIGCONT'));
  try {
    const during = await node.status();
    const byPid = new Map(during.workers.map((w) => [w.pid, w]));
    t.match(byPid.get(stopped!), { state: 'ready', sessions: { http: perPid.get(stopped!), websocket: 0 }, sessions_stale: true }, 'the stopped worker: its last report, stale');
    t.match(byPid.get(running!), { sessions: { http: perPid.get(running!), websocket: 0 }, sessions_stale: false }, 'the other one: answered');
    t.same(during.totals.sessions, { http: 4, websocket: 0 });
    const table = await runCli(['status', '--status-socket', node.socket]);
    t.equal(table.code, 0);
    t.match(table.stdout, new RegExp(`^\\d+\\s+${stopped}\\s+ready\\s+\\d+\\s+${perPid.get(stopped!)}\\*\\s+0\\*\\s`, 'm'), 'the table marks the stopped worker\'s counts');
    t.match(table.stdout, new RegExp(`^\\d+\\s+${running}\\s+ready\\s+\\d+\\s+${perPid.get(running!)}\\s+0\\s`, 'm'), 'and not the other one\'s');
    t.match(table.stdout, /^\* the worker did not answer in time: its last report \(sessions_stale\)$/m);
  } finally {
    process.kill(stopped!, 'SIGCONT');
  }

  const after = await node.waitForStatus((s) => s.workers.every((w) => !w.sessions_stale), 10_000);
  t.same(after.workers.map((w) => w.sessions.http).sort(), [...perPid.values()].sort(), 'once it runs again it answers again');
});
