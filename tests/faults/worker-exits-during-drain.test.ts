import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

t.test('a worker that exits (code 7) in the middle of its drain: the reload completes, the exit is planned, no respawn, the node serves', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('exits-while-draining.cjs'), workers: 2, config: { propane: { reloadOverlapSeconds: 0, respawnDelayMs: 100 } } });
  const old = await node.readyWorkerPids();

  const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  t.equal(JSON.parse(reload.stdout).outcome, 'completed');
  for (const pid of old) {
    const exit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === pid);
    t.match(exit, { code: 7, signal: null, cause: 'planned' }, `old worker ${pid} exited with code 7 during its drain, counted as planned`);
  }
  await sleep(500);
  const s = await node.status();
  t.same(s.workers.map((w) => w.state), ['ready', 'ready'], 'exactly the two replacements remain');
  t.same(s.workers.map((w) => w.restarts), [0, 0], 'an exit during a drain is not a crash: nothing respawned');
  t.notOk(s.workers.some((w) => old.includes(w.pid!)));
  t.equal(node.logs.filter((l) => l.event === 'worker_respawn_scheduled').length, 0);
  for (let i = 0; i < 6; i++) t.equal((await httpGet(node.port, '/')).status, 200);

  const stopped = await node.stop();
  t.equal(stopped.code, 0, 'a shutdown whose workers exit 7 from close() still stops with 0');
  t.same(stopped.leftovers, []);
});
