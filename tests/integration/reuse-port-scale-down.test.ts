import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { waitEveryWorker } from '../helpers/every-worker.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad } from '../helpers/load.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tcpMigrateReqSkip, withTcpMigrateReq, type MigrateReq } from '../helpers/reuse-port.js';
import { tempFile } from '../helpers/temp.js';

// A reload that lowers `workers` retires a slot, and with it a SO_REUSEPORT
// socket that still gets its share of new connections. Closing it resets
// the ones queued on it unless net.ipv4.tcp_migrate_req is 1, so propane
// closes it only then; at 0 it stays open, adopted by a remaining worker
// (docs/scheduling.md). Either way the reload fails no request.
const skip = tcpMigrateReqSkip();

for (const migrateReq of [0, 1] as MigrateReq[]) {
  t.test(`a reload from 3 workers to 2 under load at tcp_migrate_req ${migrateReq} fails no request and ${migrateReq ? 'closes' : 'keeps, adopted,'} the retired slot's socket`, { skip }, async (t) => {
    const config = (workers: number): string => JSON.stringify({ workers, propane: { reloadOverlapSeconds: 0.2, gracefulShutdownSeconds: 5 } });
    const configFile = tempFile(t, 'propane.json', config(3));
    // No --workers flag: it would outrank the config file at every reload.
    const node = await startPropane(t, { args: ['--config', configFile, '--scheduling-policy', 'reuse_port'], env: WORKER_PID_HEADERS });
    await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length === 3);
    const from = node.logs.length;

    const { reload, result } = await withLoadLock(() =>
      withTcpMigrateReq(migrateReq, async () => {
        const load = startLoad(node.port, { shape: 'per-request', concurrency: 8, timeoutMs: 5_000 });
        t.teardown(() => load.stop());
        await load.waitForOk(200);
        writeFileSync(configFile, config(2));
        const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
        await load.waitForOk(300);
        return { reload, result: await load.stop() };
      }),
    );
    t.equal(reload.code, 0, reload.stderr);
    t.equal(JSON.parse(reload.stdout).outcome, 'completed');
    t.equal(failures(result), 0, `no failed request: ${describeLoad(result)}`);
    const status = await node.status();
    t.same(status.workers.map((w) => [w.slot, w.state]), [[0, 'ready'], [1, 'ready']]);

    const retired = await node.waitForEvent('listener_retired', 5_000, from);
    t.match(retired, { socket: 2, slot: 2, closed: migrateReq === 1, tcp_migrate_req: migrateReq });
    const adopted = node.logs.slice(from).filter((l) => l.event === 'listener_adopted' && l.socket === 2 && l.owner_slot === null);
    if (migrateReq === 1) {
      t.same(adopted, [], 'a closed socket is adopted by nobody');
    } else {
      t.equal(adopted.length, 1, 'the kept socket is adopted by one remaining worker');
      t.ok(status.workers.some((w) => w.pid === adopted[0]!.worker_pid), 'a worker of an active slot');
      // A later reload back to 3 workers gives the kept socket to the new slot: no new bind, and the adopter lets go.
      const upFrom = node.logs.length;
      writeFileSync(configFile, config(3));
      const up = await runCli(['reload', '--json', '--status-socket', node.socket]);
      t.equal(JSON.parse(up.stdout).outcome, 'completed', up.stderr);
      t.match(await node.waitForEvent('listener_returned', 5_000, upFrom), { socket: 2, owner_slot: 3 });
      t.equal((await waitEveryWorker(node, '/', (r) => r.status === 200)).size, 3, 'all three workers serve');
    }
  });
}
