import { writeFileSync } from 'node:fs';
import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';

// Rolling reload (docs/operations.md): the config is re-read and validated
// first, then every worker is replaced by one that loads the app afresh from
// disk.

const appSource = (version: string): string => `module.exports = (req, res) => res.end('${version}\\n');\n`;

async function bodies(node: PropaneNode, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add((await httpGet(node.port, '/')).body);
  return seen;
}

t.test('SIGHUP replaces every worker with one that serves the app file as it is now on disk', async (t) => {
  const app = tempFile(t, 'app.cjs', appSource('v1'));
  const node = await startPropane(t, { app, workers: 2, config: { propane: { reloadOverlapSeconds: 0.1 } } });
  const before = await node.readyWorkerPids();
  t.same([...(await bodies(node, 4))], ['v1\n']);

  writeFileSync(app, appSource('v2'));
  const from = node.logs.length;
  process.kill(node.pid, 'SIGHUP');
  await node.waitForEvent('reload_started', 10_000, from);
  const done = await node.waitForEvent('reload_completed', 30_000, from);
  t.equal(done.workers, 2);
  t.same([...(await bodies(node, 6))], ['v2\n'], 'only the new code answers');

  const status = StatusPayload.parse(await node.status());
  t.same(status.workers.map((w) => w.state), ['ready', 'ready']);
  t.same(status.workers.filter((w) => before.includes(w.pid!)), [], 'every worker pid changed');
  t.equal(status.reload.in_progress, false);
  t.equal(status.reload.last?.outcome, 'completed');
  t.equal(status.reload.last?.reason, null);
  t.ok(status.reload.last?.finished_at, 'finished_at is set');
  t.same(await waitGone(before, 10_000), [], 'the old workers exited');
  const exits = node.logs.slice(from).filter((l) => l.event === 'worker_exit');
  t.same(exits.map((l) => [l.cause, l.code]), [['planned', 0], ['planned', 0]], 'the old workers drained and exited 0');
});

t.test('POST /reload on the status socket answers with the completed outcome once every worker is replaced', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { propane: { reloadOverlapSeconds: 0 } } });
  const before = await node.readyWorkerPids();
  const reply = await callStatusSocket(node.socket, 'POST', '/reload', 60_000);
  t.equal(reply.status, 200);
  const body = JSON.parse(reply.body) as { outcome: string; reason: string | null; finished_at: string };
  t.equal(body.outcome, 'completed');
  t.equal(body.reason, null);
  const after = await node.readyWorkerPids();
  t.equal(after.length, 2);
  t.same(after.filter((pid) => before.includes(pid)), []);
});

t.test('propane reload prints the outcome and exits 0 when the reload completed', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { propane: { reloadOverlapSeconds: 0 } } });
  const res = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(res.code, 0, res.stderr);
  t.match(res.stdout, /^reload completed \(.+ to .+\)\n$/);
});

t.test('a reload with an invalid config file is refused, names the key, and changes nothing', async (t) => {
  const configFile = tempFile(t, 'propane.json', JSON.stringify({ propane: { reloadOverlapSeconds: 0 } }));
  const node = await startPropane(t, { workers: 2, args: ['--config', configFile] });
  const before = (await node.readyWorkerPids()).sort();

  writeFileSync(configFile, JSON.stringify({ propane: { gracefulShutdownSeconds: -1 } }));
  const from = node.logs.length;
  const res = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(res.code, 1);
  t.match(res.stderr, /^propane: PROPANE_ERR_RELOAD_REFUSED reload refused: invalid config, nothing changed: .*propane\.gracefulShutdownSeconds/);
  t.equal(node.logs.slice(from).filter((l) => l.event === 'worker_forked').length, 0, 'no worker was forked');
  t.same((await node.readyWorkerPids()).sort(), before, 'the same workers serve');
  const status = await node.status();
  t.equal(status.reload.last?.outcome, 'refused');
  t.match(status.reload.last?.reason, /propane\.gracefulShutdownSeconds/);
  t.equal(status.supervisor.state, 'running');

  const overSocket = await callStatusSocket(node.socket, 'POST', '/reload', 30_000);
  t.equal(overSocket.status, 409, 'POST /reload answers 409 when refused');
  t.equal(JSON.parse(overSocket.body).outcome, 'refused');

  writeFileSync(configFile, '{ not json');
  const garbled = await runCli(['reload', '--json', '--status-socket', node.socket]);
  t.equal(garbled.code, 1);
  t.equal(JSON.parse(garbled.stdout).outcome, 'refused');
  t.equal((await node.status()).totals.limits.http, 256);

  writeFileSync(configFile, JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: 64 }, propane: { reloadOverlapSeconds: 0 } }));
  const valid = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(valid.code, 0, valid.stderr);
  t.equal((await node.status()).totals.limits.http, 64, 'a valid config takes effect with the reload');
});

t.test('a second reload while one runs is refused with a clear message, and the first completes', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { propane: { reloadOverlapSeconds: 2 } } });
  const from = node.logs.length;
  const first = runCli(['reload', '--json', '--status-socket', node.socket]);
  await node.waitForEvent('reload_started', 10_000, from);
  const second = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(second.code, 1);
  t.match(second.stderr, /^propane: PROPANE_ERR_RELOAD_REFUSED reload refused: a reload is already in progress \(started at .+\); wait for it to finish\n$/);
  const during = await node.status();
  t.equal(during.reload.in_progress, true);
  t.equal(during.supervisor.state, 'reloading');
  t.equal(during.reload.last?.outcome, null, 'the running reload has no outcome yet');
  const done = await first;
  t.equal(done.code, 0, done.stderr);
  t.equal(JSON.parse(done.stdout).outcome, 'completed');
  const status = await node.status();
  t.equal(status.supervisor.state, 'running');
  t.equal(status.reload.last?.outcome, 'completed', 'the refusal did not overwrite the running reload\'s record');
  t.equal(node.logs.slice(from).filter((l) => l.event === 'worker_forked').length, 1, 'one replacement, not two');
});
