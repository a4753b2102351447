import type { Socket } from 'node:net';
import t from 'tap';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { closeAll, openSession } from '../helpers/sessions.js';

// Under reuse_port the kernel picks a worker's socket for each new connection
// by a hash of its addresses and ports, whichever worker is awake: a burst
// never lands on one worker, unlike the 50/0 splits seen under `none`
// (docs/scheduling.md). Counts, not timings.
const WORKERS = 4;
const CONNECTIONS = 50;
const ROUNDS = 5;

t.test(`${CONNECTIONS} connections opened at once reach every one of ${WORKERS} workers, round after round`, { skip: REUSE_PORT_SKIP }, async (t) => {
  const node = await startPropane(t, { workers: WORKERS, args: ['--scheduling-policy', 'reuse_port'], env: WORKER_PID_HEADERS });
  const pids = await node.readyWorkerPids();
  t.equal(pids.length, WORKERS);
  for (let round = 1; round <= ROUNDS; round++) {
    const sessions = await Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(node.port)));
    const held: Socket[] = sessions.map((s) => s.socket);
    t.teardown(() => closeAll(held));
    t.same(sessions.filter((s) => s.status !== 200).length, 0, `round ${round}: every connection answered 200`);
    const perWorker = pids.map((pid) => sessions.filter((s) => s.pid === pid).length);
    // Under an even hash a worker gets none of 50 about once in 400 000 rounds.
    t.ok(perWorker.every((n) => n > 0), `round ${round}: every worker got some of the ${CONNECTIONS}: ${perWorker.join('/')}`);
    closeAll(held);
    await node.waitForStatus((s) => s.totals.sessions.http === 0);
  }
});
