import t from 'tap';
import { failures, startLoad, type LoadShape } from '../helpers/load.js';
import { runCli, startPropane, waitGone } from '../helpers/propane.js';

// SPEC section 6: "Under sustained load a reload fails no request: no 5xx, no
// reset, no refused connection." Both load shapes, both scheduling policies.
const WORKERS = 2;

for (const policy of ['none', 'round_robin'] as const) {
  for (const shape of ['keepalive', 'per-request'] as LoadShape[]) {
    t.test(`a reload of every worker under ${shape} load (scheduling ${policy}) fails no request and changes every pid`, async (t) => {
      const node = await startPropane(t, {
        workers: WORKERS,
        args: ['--scheduling-policy', policy],
        config: { propane: { reloadOverlapSeconds: 0.2, gracefulShutdownSeconds: 5 } },
      });
      const before = await node.readyWorkerPids();
      t.equal(before.length, WORKERS);

      const load = startLoad(node.port, shape, { concurrency: 8 });
      t.teardown(() => load.stop());
      await load.waitForOk(200);
      const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
      t.equal(reload.code, 0, `propane reload exits 0: ${reload.stderr}`);
      t.equal(JSON.parse(reload.stdout).outcome, 'completed');
      await load.waitForOk(200);
      const result = await load.stop();

      const after = await node.readyWorkerPids();
      t.equal(after.length, WORKERS, 'every slot has a ready worker');
      t.same(after.filter((pid) => before.includes(pid)), [], 'every worker pid changed');
      t.same(await waitGone(before, 10_000), [], 'the old workers are gone');
      t.ok(after.every((pid) => result.pids.has(pid)), 'every new worker served load');
      t.ok(before.every((pid) => result.pids.has(pid)), 'every old worker served load');
      t.equal(failures(result), 0, `no failed request: ${JSON.stringify({ ...result, pids: [...result.pids] })}`);
      t.ok(result.ok >= 400, `${result.ok} requests answered 2xx`);
    });
  }
}
