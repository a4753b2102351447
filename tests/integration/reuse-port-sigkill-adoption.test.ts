import t from 'tap';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad } from '../helpers/load.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';

// Under reuse_port a dead worker's socket stays open in the supervisor and
// keeps its share of new connections. Until the slot's next worker is ready
// (respawnDelayMs, a crash-loop backoff of up to 30 s) a ready worker adopts
// it, then hands it back (docs/scheduling.md). A request that had to wait for
// the respawn would outlast its timeout, shorter than the respawn delay.
const RESPAWN_DELAY_MS = 5_000;
const REQUEST_TIMEOUT_MS = 3_000;

t.test('a SIGKILLed worker’s socket is adopted until its slot respawns: under load no request fails or waits for the respawn', { skip: REUSE_PORT_SKIP }, async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--scheduling-policy', 'reuse_port', '--respawn-delay-ms', String(RESPAWN_DELAY_MS)], env: WORKER_PID_HEADERS });
  const status = await node.status();
  const [survivor, victim] = [status.workers[0]!.pid!, status.workers[1]!.pid!];

  const { result, servedWhileEmpty } = await withLoadLock(async () => {
    const opts = { shape: 'per-request' as const, concurrency: 8, timeoutMs: REQUEST_TIMEOUT_MS };
    const warm = startLoad(node.port, opts);
    t.teardown(() => warm.stop());
    await warm.waitForOk(200);
    const warmed = await warm.stop();
    t.equal(failures(warmed), 0, `warm-up: ${describeLoad(warmed)}`);

    const from = node.logs.length;
    const load = startLoad(node.port, opts);
    t.teardown(() => load.stop());
    // Sent before the load's first connect (made on the next tick): the victim dies holding no connection,
    // so a failure below could only come from connections queued on its socket.
    process.kill(victim, 'SIGKILL');
    let servedWhileEmpty = -1;
    const respawned = node.waitForLog((l) => l.event === 'worker_forked' && l.slot === 1 && l.worker_pid !== victim, 20_000, from).then(() => (servedWhileEmpty = load.result.ok));
    const exit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === victim, 10_000, from);
    t.match(exit, { slot: 1, signal: 'SIGKILL', cause: 'crash' });
    t.match(await node.waitForEvent('listener_adopted', 10_000, from), { socket: 1, owner_slot: 1, slot: 0, worker_pid: survivor }, 'the survivor adopted the dead slot’s socket');
    await respawned;
    const next = await node.waitForStatus((s) => s.workers[1]?.state === 'ready' && s.workers[1].pid !== victim, 20_000);
    t.match(await node.waitForEvent('listener_returned', 10_000, from), { socket: 1, owner_slot: 1, slot: 0, worker_pid: survivor }, 'and handed it back once the slot’s new worker was ready');
    const fresh = next.workers[1]!.pid!;
    await load.waitForOk(200);
    // Only the new worker accepts on socket 1 now, and the kernel hashes about half of new connections there.
    while (!load.result.pids.has(fresh)) await load.waitForOk(50);
    return { result: await load.stop(), servedWhileEmpty };
  });
  t.ok(servedWhileEmpty > 0, `${servedWhileEmpty} requests were answered while slot 1 had no worker`);
  t.equal(failures(result), 0, `no request failed or hung: ${describeLoad(result)}`);
  t.notOk(result.pids.has(victim), 'nothing was served by the dead worker');
});
