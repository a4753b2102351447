import t from 'tap';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad, type LoadOptions } from '../helpers/load.js';
import { waitGone } from '../helpers/processes.js';
import { WORKER_PID_HEADERS } from '../helpers/propane.js';
import { fdTarget, holdsFd, requireSocketActivate, startSocketActivated } from '../helpers/socket-activation.js';

// Under socket activation a reload never closes the inherited socket (the
// supervisor holds it; each old worker closes only its own copy), so a
// SIGHUP reload under sustained load fails no request (docs/deploy.md,
// "Socket activation"; docs/operations.md).
const WORKERS = 2;

const LOADS: Array<{ name: string; opts: LoadOptions; minOk: number }> = [
  { name: 'busy keep-alive', opts: { shape: 'keepalive', concurrency: 8 }, minOk: 400 },
  { name: 'one connection per request', opts: { shape: 'per-request', concurrency: 8 }, minOk: 400 },
];

for (const { name, opts, minOk } of LOADS) {
  t.test(`a SIGHUP reload of every worker under ${name} load, on the inherited socket, fails no request and changes every pid`, async (t) => {
    if (!requireSocketActivate(t)) return;
    const { node, port } = await startSocketActivated(t, {
      workers: WORKERS,
      config: { propane: { reloadOverlapSeconds: 0.2, gracefulShutdownSeconds: 5 } },
      env: WORKER_PID_HEADERS,
    });
    const socket = fdTarget(node.pid, 3);
    const before = await node.readyWorkerPids();
    t.equal(before.length, WORKERS);

    const result = await withLoadLock(async () => {
      const load = startLoad(port, opts);
      t.teardown(() => load.stop());
      await load.waitForOk(minOk / 2);
      const mark = node.logs.length;
      process.kill(node.pid, 'SIGHUP');
      await node.waitForLog((l) => l.event === 'reload_completed' || l.event === 'reload_aborted', 30_000, mark);
      await load.waitForOk(minOk / 2);
      return load.stop();
    });
    t.equal(node.logs.filter((l) => l.event === 'reload_completed').length, 1, 'the reload completed');

    const after = await node.readyWorkerPids();
    t.equal(after.length, WORKERS, 'every slot has a ready worker');
    t.same(after.filter((pid) => before.includes(pid)), [], 'every worker pid changed');
    t.same(await waitGone(before, 10_000), [], 'the old workers are gone');
    t.equal(fdTarget(node.pid, 3), socket, 'the supervisor still holds the socket it inherited');
    for (const pid of after) t.ok(holdsFd(pid, socket), `new worker ${pid} accepts on it`);
    t.ok(after.some((pid) => result.pids.has(pid)), 'the new workers served load');
    t.equal(failures(result), 0, `no failed request: ${describeLoad(result)}`);
    t.ok(result.ok >= minOk, `${result.ok} requests answered 2xx`);
    t.equal((await node.stop()).code, 0, 'a clean stop');
  });
}
