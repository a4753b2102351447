import type { Socket } from 'node:net';
import t from 'tap';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { closeAll, openSession } from '../helpers/sessions.js';

/**
 * GET /status and GET /metrics count each worker's sessions when they answer
 * (docs/observability.md, "GET /status"): every held connection shows up at
 * once and exactly, not a heartbeat (a second) later.
 */
const N = 10;

for (const policy of ['none', 'round_robin'] as const) {
  t.test(`${policy}: /status and /metrics show each worker's held sessions exactly, right after each one opens`, async (t) => {
    // Idle keep-alive connections stay open well past the test.
    const node = await startPropane(t, { workers: 2, args: ['--scheduling-policy', policy], config: { timeouts: { idleSeconds: 120 } }, env: WORKER_PID_HEADERS });
    const held: Socket[] = [];
    t.teardown(() => closeAll(held));

    // Under `none` the kernel picks the worker: open until N are held over two workers, starting over from zero if one took them all.
    let perPid = new Map<number, number>();
    for (let attempt = 0; attempt < 10 && (held.length < N || perPid.size < 2); attempt++) {
      if (held.length === N) {
        closeAll(held.splice(0));
        perPid = new Map();
        await node.waitForStatus((s) => s.totals.sessions.http === 0, 10_000);
      }
      while (held.length < N) {
        const s = await openSession(node.port);
        t.equal(s.status, 200, 'admitted');
        held.push(s.socket);
        perPid.set(s.pid, (perPid.get(s.pid) ?? 0) + 1);
        const status = await node.status();
        t.same(status.totals.sessions, { http: held.length, websocket: 0 }, `${held.length} held, ${held.length} counted`);
        t.same(status.workers.find((w) => w.pid === s.pid)?.sessions, { http: perPid.get(s.pid), websocket: 0 }, 'on the worker that admitted it');
      }
    }
    t.ok(perPid.size >= 2, `the ${N} sessions are spread over ${perPid.size} workers`);

    const status = await node.status();
    t.equal(status.workers.length, 2);
    for (const w of status.workers) {
      t.same(w.sessions, { http: perPid.get(w.pid!) ?? 0, websocket: 0 }, `worker ${String(w.pid)} shows what it holds`);
      t.equal(w.sessions_stale, false);
    }
    t.same(status.totals.sessions, { http: N, websocket: 0 });
    const metrics = await node.metrics();
    t.equal(metrics.samples.find((s) => s.name === 'propane_sessions' && s.labels.kind === 'http')?.value, N, 'the propane_sessions gauge too');
  });
}
