import t from 'tap';
import type { SchedulingPolicy } from '../../contracts/config.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad, type LoadOptions, type LoadResult } from '../helpers/load.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tcpMigrateReqSkip, withTcpMigrateReq, type MigrateReq } from '../helpers/reuse-port.js';

// Under sustained load a reload fails no request: no 5xx, no reset, no
// refused connection (docs/operations.md). Both load shapes, every scheduling
// policy; reuse_port with net.ipv4.tcp_migrate_req at 0 and at 1, since no
// listening socket closes during its reload (docs/scheduling.md).
const WORKERS = 2;

const LOADS: Array<{ name: string; opts: LoadOptions; minOk: number }> = [
  { name: 'busy keep-alive', opts: { shape: 'keepalive', concurrency: 8 }, minOk: 400 },
  // Bursty clients leave sockets idle in the agent's pool: the drain closes those while the client may pick them.
  { name: 'bursty keep-alive with idle pooled sockets', opts: { shape: 'keepalive', concurrency: 16, pauseMs: 200 }, minOk: 100 },
  { name: 'one connection per request', opts: { shape: 'per-request', concurrency: 8 }, minOk: 400 },
];

const migrateSkip = tcpMigrateReqSkip();
const POLICIES: Array<{ policy: SchedulingPolicy; migrateReq?: MigrateReq; skip: string | false }> = [
  { policy: 'none', skip: false },
  { policy: 'round_robin', skip: false },
  { policy: 'reuse_port', migrateReq: 0, skip: migrateSkip },
  { policy: 'reuse_port', migrateReq: 1, skip: migrateSkip },
];

for (const { policy, migrateReq, skip } of POLICIES) {
  const setting = migrateReq === undefined ? '' : `, tcp_migrate_req ${migrateReq}`;
  for (const { name, opts, minOk } of LOADS) {
    t.test(`a reload of every worker under ${name} load (scheduling ${policy}${setting}) fails no request and changes every pid`, { skip }, async (t) => {
      const node = await startPropane(t, {
        workers: WORKERS,
        args: ['--scheduling-policy', policy],
        config: { propane: { reloadOverlapSeconds: 0.2, gracefulShutdownSeconds: 5 } },
        env: WORKER_PID_HEADERS,
      });
      const before = await node.readyWorkerPids();
      t.equal(before.length, WORKERS);

      const underLoad = async (): Promise<{ reload: CliRun; result: LoadResult; reported: MigrateReq | null }> => {
        const reported = (await node.status()).supervisor.tcp_migrate_req;
        const load = startLoad(node.port, opts);
        t.teardown(() => load.stop());
        await load.waitForOk(minOk / 2);
        const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
        await load.waitForOk(minOk / 2);
        return { reload, result: await load.stop(), reported };
      };
      const { reload, result, reported } = await withLoadLock(() => (migrateReq === undefined ? underLoad() : withTcpMigrateReq(migrateReq, underLoad)));
      if (migrateReq !== undefined) t.equal(reported, migrateReq, `/status reports tcp_migrate_req ${migrateReq}`);
      t.equal(reload.code, 0, `propane reload exits 0: ${reload.stderr}`);
      t.equal(JSON.parse(reload.stdout).outcome, 'completed');

      const after = await node.readyWorkerPids();
      t.equal(after.length, WORKERS, 'every slot has a ready worker');
      t.same(after.filter((pid) => before.includes(pid)), [], 'every worker pid changed');
      t.same(await waitGone(before, 10_000), [], 'the old workers are gone');
      // Not "every": with SCHED_NONE the kernel may hand all keep-alive connections to one worker,
      // and a bursty agent reuses its most recent socket first.
      t.ok(before.some((pid) => result.pids.has(pid)), 'the old workers served load');
      t.ok(after.some((pid) => result.pids.has(pid)), 'the new workers served load');
      t.equal(failures(result), 0, `no failed request: ${describeLoad(result)}`);
      t.ok(result.ok >= minOk, `${result.ok} requests answered 2xx`);
    });
  }
}
