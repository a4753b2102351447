import t from 'tap';
import { startPropane } from '../helpers/propane.js';
import { openSession } from '../helpers/sessions.js';

t.test('hundreds of rejections are counted by reason but logged as a few backpressure lines', async (t) => {
  const node = await startPropane(t, { workers: 2, args: ['--max-http-sessions', '2'] });
  const held = [await openSession(node.port), await openSession(node.port)];
  t.teardown(() => held.forEach((h) => h.socket.destroy()));
  t.same(held.map((h) => h.status), [200, 200]);

  const REFUSALS = 300;
  let refused = 0;
  for (let batch = 0; batch < REFUSALS / 30; batch++) {
    const answers = await Promise.all(Array.from({ length: 30 }, () => openSession(node.port)));
    for (const a of answers) {
      if (a.status === 503) refused++;
      a.socket.destroy();
    }
  }
  t.equal(refused, REFUSALS, 'every one over the limit got 503');

  const status = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === REFUSALS);
  t.equal(status.totals.rejected.http_session_limit, REFUSALS, '/status counts every rejection by reason');
  const lines = node.logs.filter((l) => l.event === 'backpressure');
  t.ok(lines.length >= 1, 'the flood is visible in the log');
  t.ok(lines.length <= 6, `but as at most a few lines per worker per window, not ${REFUSALS}: got ${lines.length}`);
  t.ok(lines.every((l) => l.reason === 'http_session_limit' && l.level === 40), 'each line names the reason, at warn');
});
