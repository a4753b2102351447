import { readFileSync } from 'node:fs';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { freePort, isPortFree } from '../helpers/ports.js';
import { tryKill } from '../helpers/processes.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { fdTarget, holdsFd, requireSocketActivate, startSocketActivated } from '../helpers/socket-activation.js';
import { pollUntil } from '../helpers/wait.js';

// Socket activation (docs/deploy.md): under the real systemd-socket-activate,
// the node serves on the socket it inherits as fd 3, every worker accepts on
// that one socket, and the service manager's variables stay with the supervisor.

const APP = fixtureApp('reports-listen-env.cjs');
const NO_LISTEN_ENV = JSON.stringify({ LISTEN_FDS: null, LISTEN_PID: null, LISTEN_FDNAMES: null });

/** Whether the socket with this inode listens on 127.0.0.1:port, by /proc/net/tcp. */
function listensOn(inode: string, port: number): boolean {
  const row = readFileSync('/proc/net/tcp', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((cols) => cols[9] === inode);
  return row?.[1] === `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}` && row[3] === '0A';
}

t.test('every worker accepts on the inherited socket: the activating request is answered, no worker sees LISTEN_*, and a stop frees the port', async (t) => {
  if (!requireSocketActivate(t)) return;
  const { node, port, first } = await startSocketActivated(t, { app: APP, workers: 2, fdname: 'http', env: WORKER_PID_HEADERS });
  t.equal(first.status, 200, 'the connection that activated propane was queued and answered');
  t.equal(first.body, NO_LISTEN_ENV, 'the worker sees no LISTEN_FDS, LISTEN_PID or LISTEN_FDNAMES');

  const inherited = node.logs.filter((l) => l.event === 'socket_inherited');
  t.equal(inherited.length, 1, 'one socket_inherited line');
  t.match(inherited[0], { level: 30, fd: 3, fd_name: 'http', host: '127.0.0.1', port, msg: `serving on the listening socket the service manager passed: 127.0.0.1:${port}` });
  t.equal(node.logs.filter((l) => l.event === 'listening').length, 1, 'listening is logged once');
  t.match(node.logs.find((l) => l.event === 'supervisor_started'), { host: '127.0.0.1', port });
  const status = await node.status();
  t.same(status.listen, { host: '127.0.0.1', port }, '/status shows the inherited address');
  t.equal(status.supervisor.scheduling_policy, 'none');
  t.equal(status.supervisor.pid, node.pid, 'systemd-socket-activate exec\'d propane in place');

  const socket = fdTarget(node.pid, 3);
  t.match(socket, /^socket:\[\d+\]$/, "the supervisor's fd 3 is the socket it was passed");
  t.ok(listensOn(socket.slice(8, -1), port), 'and it listens on 127.0.0.1:port');
  const pids = await node.readyWorkerPids();
  t.equal(pids.length, 2);
  for (const pid of pids) t.ok(holdsFd(pid, socket), `worker ${pid} holds the inherited socket`);

  // A worker busy for 100 ms accepts nothing meanwhile, so concurrent requests reach the other one.
  const seen = new Map<number, string>();
  await pollUntil(
    async () => {
      const replies = await Promise.all(Array.from({ length: 6 }, () => httpGet(port, '/?ms=100')));
      for (const r of replies) seen.set(Number(r.headers['x-arlen-worker-pid']), r.body);
      return seen;
    },
    (s) => pids.every((pid) => s.has(pid)),
    15_000,
    0,
  );
  t.same([...seen.keys()].sort(), [...pids].sort(), 'every worker answered on the inherited socket');
  t.same([...new Set(seen.values())], [NO_LISTEN_ENV], 'no worker sees LISTEN_*');

  const stop = await node.stop();
  t.equal(stop.code, 0, 'a clean stop: exit 0');
  t.same(stop.leftovers, []);
  t.ok(await isPortFree(port), 'nothing holds the port after the stop (no service manager keeps a copy here)');
});

t.test('a crash of the only worker closes nothing: connections made while no worker runs wait in the queue and are answered', async (t) => {
  if (!requireSocketActivate(t)) return;
  // The respawn waits a second, so the requests below are sent while no worker runs.
  const { node, port } = await startSocketActivated(t, { app: APP, workers: 1, env: WORKER_PID_HEADERS, config: { propane: { respawnDelayMs: 1000 } } });
  const [pid] = await node.readyWorkerPids();
  const mark = node.logs.length;
  tryKill(pid!, 'SIGKILL');
  await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === pid, 5_000, mark);
  const pending = Array.from({ length: 5 }, () => httpGet(port, '/', { timeoutMs: 15_000 }));
  t.notOk(node.logs.slice(mark).some((l) => l.event === 'worker_ready'), 'sent while no worker was ready');
  const replies = await Promise.all(pending);
  t.same(replies.map((r) => r.status), [200, 200, 200, 200, 200], 'all five answered by the respawned worker');
  t.not(Number(replies[0]!.headers['x-arlen-worker-pid']), pid, 'by a new worker');
  t.equal(node.logs.filter((l) => l.event === 'socket_inherited').length, 1);
});

t.test('an explicit --host and --port that are the inherited socket\'s (localhost resolves to it) are fine', async (t) => {
  if (!requireSocketActivate(t)) return;
  const port = await freePort();
  const { node, first } = await startSocketActivated(t, { app: APP, workers: 1, listen: [`127.0.0.1:${port}`], args: ['--host', 'localhost', '--port', String(port)] });
  t.equal(first.status, 200);
  t.same((await node.status()).listen, { host: '127.0.0.1', port });
});

t.test('a LISTEN_PID of another process: the variables are ignored with one socket_activation_ignored line, and the node binds its own port', async (t) => {
  const node = await startPropane(t, { app: APP, workers: 1, env: { LISTEN_FDS: '1', LISTEN_PID: '1', LISTEN_FDNAMES: 'http' } });
  const ignored = node.logs.filter((l) => l.event === 'socket_activation_ignored');
  t.equal(ignored.length, 1, 'one line');
  t.match(ignored[0], { level: 40, listen_fds: '1', listen_pid: '1', msg: `LISTEN_PID=1 is not this process (${node.pid}): the sockets were passed to another one; socket activation is ignored and propane binds its own listening socket` });
  t.equal(node.logs.filter((l) => l.event === 'socket_inherited').length, 0);
  const reply = await httpGet(node.port, '/');
  t.equal(reply.status, 200, 'it serves on the port it bound');
  t.equal(reply.body, NO_LISTEN_ENV, 'and its workers see no LISTEN_* either');
});
