import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { isAlive } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';

t.test('--workers 3 forks three distinct workers; a SIGKILLed one is respawned after respawnDelayMs with restarts 1 and last_exit', async (t) => {
  const node = await startPropane(t, { workers: 3, args: ['--respawn-delay-ms', '600'] });
  const first = await node.status();
  t.equal(first.workers.length, 3);
  t.same(first.workers.map((w) => w.slot), [0, 1, 2]);
  const pids = first.workers.map((w) => w.pid!);
  t.equal(new Set(pids).size, 3, 'three distinct pids');
  t.notOk(pids.includes(node.pid), 'none is the supervisor');
  t.ok(pids.every(isAlive), 'all alive');
  t.same([...node.forkedPids].sort(), [...pids].sort(), 'exactly the forked ones');
  t.ok(first.workers.every((w) => w.restarts === 0 && w.last_exit === null));

  const victim = pids[1]!;
  const fromIndex = node.logs.length;
  process.kill(victim, 'SIGKILL');
  const exit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === victim, 15_000, fromIndex);
  t.match(exit, { slot: 1, signal: 'SIGKILL', cause: 'crash' });
  const scheduled = await node.waitForEvent('worker_respawn_scheduled', 15_000, fromIndex);
  t.match(scheduled, { slot: 1, delay_ms: 600 });
  const forked = await node.waitForLog((l) => l.event === 'worker_forked' && l.slot === 1 && l.worker_pid !== victim, 15_000, fromIndex);
  const waitedMs = Date.parse(String(forked.time)) - Date.parse(String(exit.time));
  t.ok(waitedMs >= 550, `the replacement was forked after the delay, not at once (${waitedMs} ms)`);

  const after = await node.waitForStatus((s) => s.workers[1]?.state === 'ready' && s.workers[1].pid !== victim);
  const slot1 = after.workers[1]!;
  t.equal(slot1.pid, forked.worker_pid);
  t.equal(slot1.restarts, 1);
  t.match(slot1.last_exit, { code: null, signal: 'SIGKILL', cause: 'crash' });
  t.ok(!Number.isNaN(Date.parse(slot1.last_exit!.at)) && Date.parse(slot1.last_exit!.at) <= Date.now(), 'last_exit.at is a timestamp');
  t.same([after.workers[0]!.pid, after.workers[2]!.pid], [pids[0], pids[2]], 'the other slots were not touched');
  t.same([after.workers[0]!.restarts, after.workers[2]!.restarts], [0, 0]);
  t.notOk(isAlive(victim));
  t.equal((await httpGet(node.port, '/')).status, 200);

  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});
