import { createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { runCli } from '../helpers/cli.js';
import { etcdNodeConfig } from '../helpers/etcd.js';
import { closeAll } from '../helpers/sessions.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { pollUntil } from '../helpers/wait.js';

/**
 * The supervisor answers on its status socket and takes signals before it has
 * forked a worker: while it binds its sockets and while its membership store
 * keeps it waiting (at most 3 s, docs/cluster-etcd.md). A reload then is
 * refused, and a SIGTERM stops it before any worker is forked
 * (docs/operations.md, "Rolling reload").
 */

/** An "etcd" that accepts connections and never answers: the start waits its full 3 s on it. */
async function silentStore(t: Test): Promise<string> {
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s.on('error', () => {})));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    closeAll(held);
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A node whose /status answers `starting`: the start waits on the store for about a second from here. */
async function startingNode(t: Test): Promise<PropaneNode> {
  const node = await startPropane(t, { workers: 2, config: etcdNodeConfig([await silentStore(t)], 'early'), waitFor: 'nothing' });
  const seen = await pollUntil(() => node.status().catch(() => null), (s) => s !== null, 10_000, 10);
  t.equal(seen?.supervisor.state, 'starting', '/status answers while the supervisor is starting');
  return node;
}

t.test('a reload while the supervisor is starting is refused, and the start goes on to exactly its workers', async (t) => {
  const node = await startingNode(t);
  // Straight to the status socket and the signal: the window lasts as long as the store keeps the start waiting.
  const refused = await callStatusSocket(node.socket, 'POST', '/reload', 10_000);
  process.kill(node.pid, 'SIGHUP');
  t.equal(refused.status, 409, 'POST /reload answers 409: refused');
  t.match(refused.body, /the supervisor is starting; reload once it is running/);

  const running = await node.waitForStatus((s) => s.supervisor.state === 'running' && s.workers.filter((w) => w.state === 'ready').length === 2, 20_000);
  t.same(running.workers.map((w) => w.slot), [0, 1], 'two workers, one per slot: nothing was forked twice');
  t.equal(running.reload.in_progress, false);
  t.equal(node.proc.exitCode, null, 'the supervisor runs');
  t.equal(node.logs.filter((l) => l.event === 'worker_forked').length, 2, 'two forks in all so far');
  t.equal((await runCli(['reload', '--status-socket', node.socket])).code, 0, 'once it runs, a reload completes');
  t.equal(node.logs.filter((l) => l.event === 'worker_forked').length, 4, 'two forks at start and one per slot for the reload: the refused ones forked nothing');
});

t.test('a SIGTERM while the supervisor is starting stops it, exit 0, with no worker forked', async (t) => {
  const node = await startingNode(t);
  process.kill(node.pid, 'SIGTERM');
  const { code } = await node.exited;
  t.equal(code, 0);
  t.equal(node.logs.filter((l) => l.event === 'worker_forked').length, 0, 'no worker was forked');
  t.equal(node.logs.filter((l) => l.event === 'supervisor_state' && l.to === 'running').length, 0, 'it never reported running');
});
