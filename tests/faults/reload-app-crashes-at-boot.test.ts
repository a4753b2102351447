import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

t.test('an app that crashes at boot during a reload aborts it: the old workers keep serving, the outcome and reason are reported', async (t) => {
  const mode = tempFile(t, 'mode', 'v1');
  const node = await startPropane(t, { app: fixtureApp('crashes-at-boot-on-demand.cjs'), workers: 2, env: { BOOT_MODE_FILE: mode }, config: { propane: { reloadOverlapSeconds: 0, respawnDelayMs: 100 } } });
  const old = await node.readyWorkerPids();

  writeFileSync(mode, 'crash');
  const aborted = await runCli(['reload', '--json', '--status-socket', node.socket]);
  t.equal(aborted.code, 1, 'propane reload exits 1 when the reload aborts');
  const outcome = JSON.parse(aborted.stdout) as { outcome: string; reason: string };
  t.equal(outcome.outcome, 'aborted');
  t.match(outcome.reason, /slot 0/, 'the reason names the slot whose replacement failed');
  const event = await node.waitForEvent('reload_aborted');
  t.match(event, { pid: node.pid, reason: outcome.reason });
  t.type(event.duration_ms, 'number');
  t.comment(`reload aborted after ${String(event.duration_ms)} ms: ${outcome.reason}`);
  const bootFailed = await node.waitForLog((l) => l.event === 'worker_boot_failed' && l.pid === node.pid);
  t.match(String(bootFailed.error), /told to crash at boot/, 'the boot failure is logged with the app error');

  await sleep(300);
  const s = await node.status();
  t.same(s.workers.map((w) => w.pid), old, 'the old workers are still the ones in place');
  t.same(s.workers.map((w) => w.state), ['ready', 'ready']);
  t.equal(s.reload.last?.outcome, 'aborted');
  t.equal(s.supervisor.state, 'running');
  for (let i = 0; i < 6; i++) {
    const res = await httpGet(node.port, '/');
    t.equal(res.status, 200);
    t.match(res.body, /^boot-mode v1 worker/, 'served by an old worker');
  }
  const metrics = await node.metrics();
  t.equal(valueOf(metrics, 'propane_reloads_total', { outcome: 'aborted' }), 1);
  t.equal(valueOf(metrics, 'propane_worker_exits_total', { cause: 'crash' }), 0, 'the failed replacement is not counted as a crash of a serving worker');
  t.equal(node.logs.filter((l) => l.event === 'worker_respawn_scheduled').length, 0, 'the failed replacement is not respawned');

  writeFileSync(mode, 'v2');
  t.equal((await runCli(['reload', '--status-socket', node.socket])).code, 0, 'once the app is fixed the reload completes');
  t.match((await httpGet(node.port, '/')).body, /^boot-mode v2 worker/);
});
