import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

t.test('a bad config on reload is refused, names the key, and changes nothing: same workers, same limits, node serving', async (t) => {
  const file = tempFile(t, 'propane.json', JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: 32 }, propane: { reloadOverlapSeconds: 0 } }));
  const node = await startPropane(t, { workers: 2, args: ['--config', file] });
  const before = await node.status();

  writeFileSync(file, JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: 0 } }));
  const refused = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(refused.code, 1, 'propane reload exits 1 when the reload is refused');
  t.match(refused.stderr, /refused/);
  t.match(refused.stderr, /runtimeLimits\.maxConcurrentHTTPSessions/, 'the reason names the key at fault');

  // SIGHUP with a file that is not even JSON: refused the same way, logged once.
  writeFileSync(file, '{ "runtimeLimits": ');
  const seen = node.logs.length;
  process.kill(node.pid, 'SIGHUP');
  await node.waitForEvent('reload_refused', 10_000, seen);
  await sleep(300);
  t.equal(node.logs.slice(seen).filter((l) => l.event === 'reload_refused').length, 1, 'one reload_refused per refused reload');

  const after = await node.status();
  t.same(after.workers.map((w) => w.pid), before.workers.map((w) => w.pid), 'no worker was replaced');
  t.same(after.workers.map((w) => w.state), ['ready', 'ready']);
  t.equal(after.totals.limits.http, 32, 'the running limit is unchanged');
  t.equal(after.reload.last?.outcome, 'refused');
  t.equal(after.supervisor.state, 'running');
  t.equal(node.logs.filter((l) => l.event === 'reload_started').length, 0, 'no reload ever started');
  const metrics = await node.metrics();
  t.equal(valueOf(metrics, 'propane_reloads_total', { outcome: 'refused' }), 2);
  t.equal(valueOf(metrics, 'propane_reloads_total', { outcome: 'completed' }), 0);
  for (let i = 0; i < 6; i++) t.equal((await httpGet(node.port, '/')).status, 200, 'the node serves');

  // Fixed, the next reload goes through and applies the new limit.
  writeFileSync(file, JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: 16 }, propane: { reloadOverlapSeconds: 0 } }));
  t.equal((await runCli(['reload', '--status-socket', node.socket])).code, 0);
  t.equal((await node.status()).totals.limits.http, 16);
});
