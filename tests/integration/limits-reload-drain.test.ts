import t from 'tap';
import { isCompleteResponse, rawConnect, readUntil, statusOf } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';
import { openSession } from '../helpers/sessions.js';
import { sleep } from '../helpers/wait.js';

const LIMIT = 3;
const SLOW_MS = 5000;

t.test('during a rolling reload the sessions of draining workers still count against the node-wide limit', async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', String(LIMIT), '--scheduling-policy', 'round_robin', '--graceful-shutdown-seconds', '20'] });

  const slow = await Promise.all(Array.from({ length: LIMIT }, () => rawConnect(node.port)));
  t.teardown(() => slow.forEach((s) => s.destroy()));
  const slowAnswers = slow.map((s) => {
    s.write(`GET /slow?ms=${SLOW_MS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    return readUntil(s, isCompleteResponse, 30_000);
  });
  let firstSlowDone = false;
  void Promise.race(slowAnswers).then(() => (firstSlowDone = true));
  const oldPids = (await node.waitForStatus((s) => s.totals.sessions.http === LIMIT)).workers.map((w) => w.pid);

  const from = node.logs.length;
  process.kill(node.pid, 'SIGHUP');
  await node.waitForEvent('reload_started', 10_000, from);

  const during: number[] = [];
  let sawNewWorkerBesideOld = false;
  let maxLeased = 0;
  while (!firstSlowDone) {
    const s = await openSession(node.port);
    s.socket.destroy();
    if (firstSlowDone) break;
    during.push(s.status);
    const st = await node.status();
    maxLeased = Math.max(maxLeased, st.totals.leased.http);
    if (st.workers.some((w) => !oldPids.includes(w.pid)) && st.workers.some((w) => oldPids.includes(w.pid))) sawNewWorkerBesideOld = true;
    await sleep(100);
  }
  t.ok(during.length >= 5, `sessions were attempted throughout the reload (${during.length})`);
  t.same(during.filter((s) => s !== 503), [], 'every attempt while the old workers held the limit got 503');
  t.ok(sawNewWorkerBesideOld, 'the attempts overlapped new workers serving beside draining old ones');
  t.ok(maxLeased <= LIMIT, `the ledger never leased past the limit (max ${maxLeased})`);

  const answers = await Promise.all(slowAnswers);
  t.same(answers.map(statusOf), Array(LIMIT).fill(200), 'the in-flight requests finished on the draining workers');
  await node.waitForEvent('reload_completed', 30_000, from);
  // An answer sent before its worker began to drain is keep-alive: the client ends those sessions itself.
  slow.forEach((s) => s.destroy());
  let fresh = 0;
  const deadline = Date.now() + 15_000;
  while (fresh !== 200 && Date.now() < deadline) {
    const s = await openSession(node.port);
    s.socket.destroy();
    fresh = s.status;
    if (fresh !== 200) await sleep(100);
  }
  t.equal(fresh, 200, 'once the old sessions are gone, the new workers admit');
  const settled = await node.waitForStatus((s) => s.workers.every((w) => !oldPids.includes(w.pid)));
  t.ok(settled.totals.leased.http <= LIMIT);
});
