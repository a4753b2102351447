import type { Socket } from 'node:net';
import t from 'tap';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { admitSessions, closeAll, openSession } from '../helpers/sessions.js';
import { sleep } from '../helpers/wait.js';

const LIMIT = 4;

for (const how of ['SIGKILL', 'crash'] as const) {
  t.test(`a worker that dies by ${how} releases its sessions at once, and its respawn neither leaks nor double-counts`, async (t) => {
    const node = await startPropane(t, { app: fixtureApp('crashes-on-request.cjs'), workers: 2, args: ['--max-http-sessions', String(LIMIT), '--scheduling-policy', 'round_robin', '--respawn-delay-ms', '100'], env: WORKER_PID_HEADERS });
    const held: Socket[] = [];
    t.teardown(() => closeAll(held));

    const sessions = await admitSessions(node.port, LIMIT, held);
    t.equal(sessions.length, LIMIT, 'the node is full');
    const over = await openSession(node.port);
    over.socket.destroy();
    t.equal(over.status, 503);
    await node.waitForStatus((s) => s.totals.sessions.http === LIMIT);

    const victim = sessions[0]!.pid;
    const onVictim = sessions.filter((s) => s.pid === victim).length;
    const before = await node.status();
    const victimSlot = before.workers.find((w) => w.pid === victim)!.slot;
    if (how === 'SIGKILL') {
      process.kill(victim, 'SIGKILL');
    } else {
      // The node is full, so /crash needs a permit: free one of the victim's sessions, then aim /crash until the victim takes it.
      sessions[0]!.socket.destroy();
      let crashed = false;
      const deadline = Date.now() + 10_000;
      while (!crashed && Date.now() < deadline) {
        const r = await openSession(node.port, `/crash?pid=${victim}`);
        r.socket.destroy();
        crashed = r.status === 200 && r.raw.includes(`pid ${victim}`);
        if (!crashed) await sleep(50);
      }
      t.ok(crashed, 'the victim took the /crash request and exited');
    }

    const dropped = await node.waitForStatus((s) => !s.workers.some((w) => w.pid === victim) && s.totals.sessions.http <= LIMIT - onVictim && s.totals.leased.http < LIMIT);
    t.ok(dropped.totals.sessions.http <= LIMIT - onVictim, `node-wide sessions dropped by the victim's ${onVictim} (now ${dropped.totals.sessions.http})`);
    t.ok(dropped.totals.leased.http < LIMIT, `the ledger took its permits back (leased ${dropped.totals.leased.http})`);

    const survivors = held.filter((s) => !s.destroyed).length;
    const refill = await admitSessions(node.port, LIMIT - survivors, held);
    t.equal(refill.length, LIMIT - survivors, 'new sessions are admitted up to the limit again');

    const respawned = await node.waitForStatus((s) => s.workers.find((w) => w.slot === victimSlot)?.state === 'ready' && s.workers.find((w) => w.slot === victimSlot)?.pid !== victim);
    t.equal(respawned.workers.find((w) => w.slot === victimSlot)!.restarts, 1, 'the slot was respawned once');
    const extra = await Promise.all(Array.from({ length: 6 }, () => openSession(node.port)));
    closeAll(extra.map((e) => e.socket));
    t.same(extra.map((e) => e.status), Array(6).fill(503), 'after the respawn the node is still full at exactly the limit');
    const settled = await node.waitForStatus((s) => s.totals.sessions.http === LIMIT);
    t.equal(settled.totals.leased.http, LIMIT, 'leased equals the limit: nothing leaked, nothing counted twice');
    t.equal(node.logs.filter((l) => String(l.msg ?? '').includes('ledger(')).length, 0, 'the ledger never complained');
    t.notMatch(node.stderr, /ledger\(/, 'nor threw');
  });
}
