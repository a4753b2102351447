import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { failures, runLoad } from '../helpers/load.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

t.test('SIGKILL of a worker under load: the slot is replaced, the node serves, exits are counted, no session is left open', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { propane: { respawnDelayMs: 100 } } });
  const victim = (await node.status()).workers[0]!.pid!;
  const killedAt = { ms: 0 };
  const asked = Date.now();
  const load = await withLoadLock(async () => {
    t.comment(`load lock taken after ${Date.now() - asked} ms`);
    const running = runLoad(node.port, 3_000, { shape: 'keepalive', concurrency: 8 });
    await sleep(1_000);
    killedAt.ms = Date.now();
    process.kill(victim, 'SIGKILL');
    return running;
  });
  const replaced = await node.waitForStatus((s) => s.workers[0]!.state === 'ready' && s.workers[0]!.pid !== victim, 15_000);
  const replacedMs = Date.now() - killedAt.ms;
  t.comment(`load: ${load.total} requests, ${failures(load)} failed (${JSON.stringify(load.errors)}), statuses ${JSON.stringify(load.statuses)}; slot 0 ready again within ${replacedMs} ms`);
  t.ok((load.statuses[200] ?? 0) > 100, 'the load was served before and after the kill');
  t.ok(failures(load) <= 8, 'at most the requests in flight on the killed worker failed (one per client)');
  t.equal(Object.keys(load.statuses).filter((s) => s !== '200').length, 0, 'every answer was a 200: no 5xx from the survivor');

  t.equal(replaced.workers[0]!.last_exit?.signal, 'SIGKILL');
  t.equal(replaced.workers[0]!.last_exit?.cause, 'crash');
  t.equal(replaced.workers[0]!.restarts, 1);
  t.equal(replaced.workers[1]!.pid, (await node.status()).workers[1]!.pid, 'the other worker was not touched');
  const exit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === victim);
  t.match(exit, { slot: 0, signal: 'SIGKILL', cause: 'crash' }, 'worker_exit names the signal and the cause');

  for (let i = 0; i < 10; i++) t.equal((await httpGet(node.port, '/')).status, 200);
  const settled = await node.waitForStatus((s) => s.totals.sessions.http === 0);
  t.equal(settled.totals.sessions.http, 0, 'the killed worker took its sessions with it; the ledger holds none');
});
