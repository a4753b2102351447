import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';

// When a replacement fails (docs/operations.md): one that crashes or is not
// ready within readyTimeoutSeconds aborts the reload, the old worker keeps
// serving and the outcome is reported.

const V1 = `module.exports = (req, res) => res.end('v1\\n');\n`;
const CASES = [
  {
    name: 'a replacement that throws at load',
    broken: `throw new Error('broken deploy');\n`,
    reason: /^slot 0: replacement pid (\d+) load failed: broken deploy$/,
  },
  {
    name: 'a replacement not ready within readyTimeoutSeconds',
    broken: `module.exports = { handler: (req, res) => res.end('v2\\n'), ready: () => new Promise(() => {}) };\n`,
    reason: /^slot 0: replacement pid (\d+) ready failed: not ready within readyTimeoutSeconds \(2\)$/,
  },
];

for (const c of CASES) {
  t.test(`${c.name} aborts the reload: the old workers keep serving and the replacement is gone`, async (t) => {
    const app = tempFile(t, 'app.cjs', V1);
    const configFile = tempFile(t, 'propane.json', JSON.stringify({ propane: { reloadOverlapSeconds: 0 } }));
    const node = await startPropane(t, { app, workers: 2, args: ['--config', configFile] });
    const before = (await node.readyWorkerPids()).sort();

    // The reload re-reads the config: the short ready timeout applies to the replacements only.
    writeFileSync(configFile, JSON.stringify({ propane: { reloadOverlapSeconds: 0, readyTimeoutSeconds: 2 } }));
    writeFileSync(app, c.broken);
    const from = node.logs.length;
    const res = await runCli(['reload', '--json', '--status-socket', node.socket]);
    t.equal(res.code, 1, 'propane reload exits 1');
    const outcome = JSON.parse(res.stdout) as { outcome: string; reason: string };
    t.equal(outcome.outcome, 'aborted');
    t.match(outcome.reason, c.reason);
    t.match(res.stderr, /^propane: PROPANE_ERR_RELOAD_ABORTED reload aborted: slot 0: replacement pid \d+ /);

    const forked = node.logs.slice(from).filter((l) => l.event === 'worker_forked');
    t.same(forked.map((l) => l.slot), [0], 'one replacement was tried; slot 1 was left as it was');
    const failedPid = Number(c.reason.exec(outcome.reason)?.[1]);
    t.equal(forked[0]?.worker_pid, failedPid);
    t.same(await waitGone([failedPid], 5_000), [], 'the failed replacement is gone');
    t.ok(node.logs.slice(from).some((l) => l.event === 'reload_aborted' && l.reason === outcome.reason), 'reload_aborted is logged with the reason');

    const status = await node.status();
    t.equal(status.supervisor.state, 'running');
    t.equal(status.reload.in_progress, false);
    t.equal(status.reload.last?.outcome, 'aborted');
    t.equal(status.reload.last?.reason, outcome.reason);
    t.same(status.workers.map((w) => [w.state, w.pid]).sort(), before.map((pid) => ['ready', pid]).sort(), 'the old workers still fill both slots');
    for (let i = 0; i < 4; i++) t.equal((await httpGet(node.port, '/')).body, 'v1\n', 'the old code keeps answering');

    // The fix is deployed: the next reload goes through.
    writeFileSync(app, `module.exports = (req, res) => res.end('v3\\n');\n`);
    const fixed = await runCli(['reload', '--status-socket', node.socket]);
    t.equal(fixed.code, 0, fixed.stderr);
    t.equal((await httpGet(node.port, '/')).body, 'v3\n');
  });
}
