import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';

// Hung workers (docs/operations.md): a worker whose event loop stays blocked
// past workerTimeoutSeconds misses its heartbeats, is SIGKILLed and replaced.

// Under reuse_port the killed worker's socket is adopted until the replacement takes it (docs/scheduling.md).
for (const policy of ['none', 'reuse_port'] as const) {
  t.test(`a worker blocked in an endless loop is SIGKILLed, logged worker_hung, counted, and replaced (scheduling ${policy})`, { skip: policy === 'reuse_port' ? REUSE_PORT_SKIP : false }, async (t) => {
    const node = await startPropane(t, { app: fixtureApp('spins-forever.cjs'), workers: 2, args: ['--scheduling-policy', policy], config: { propane: { workerTimeoutSeconds: 2 } } });
    const before = await node.readyWorkerPids();
    const from = node.logs.length;
    // The answering worker never answers; the request only starts the spin.
    httpGet(node.port, '/spin', { timeoutMs: 20_000 }).catch(() => undefined);

    const hung = await node.waitForEvent('worker_hung', 15_000, from);
    t.ok(before.includes(hung.worker_pid!), 'one of the workers hung');
    t.ok((hung.silent_ms as number) > 2_000, `silent ${String(hung.silent_ms)} ms, past workerTimeoutSeconds`);
    t.equal(hung.timeout_seconds, 2);
    const exit = await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === hung.worker_pid, 10_000, from);
    t.match(exit, { signal: 'SIGKILL', code: null, cause: 'killed_hung' }, 'killed with SIGKILL');
    t.same(await waitGone([hung.worker_pid!], 5_000), []);

    const status = StatusPayload.parse(await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length === 2, 20_000));
    const slot = status.workers.find((w) => w.slot === hung.slot)!;
    t.not(slot.pid, hung.worker_pid, 'the slot has a new worker');
    t.equal(slot.hung_kills, 1);
    t.equal(slot.restarts, 1);
    t.match(slot.last_exit, { signal: 'SIGKILL', cause: 'killed_hung' });
    t.equal(status.workers.find((w) => w.slot !== hung.slot)?.hung_kills, 0);
    t.equal(status.totals.hung_kills, 1);
    t.equal(node.logs.filter((l) => l.event === 'worker_hung').length, 1, 'only the hung worker was killed');
    for (let i = 0; i < 4; i++) t.equal((await httpGet(node.port, '/')).status, 200, 'the node serves');
  });
}
