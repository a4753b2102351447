import { createServer } from 'node:http';
import t from 'tap';
import { httpGet, type HttpReply } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { contractView, expectedResponse } from '../helpers/runtime-hardening.js';

const UPSTREAM_DELAY_MS = 1_500;

t.test('a slow downstream under the session limit: admitted requests complete, extra sessions get the exact 503, nothing hangs, sessions return to 0', async (t) => {
  let upstreamHits = 0;
  const upstream = createServer((_req, res) => {
    upstreamHits++;
    setTimeout(() => res.end('slowly\n'), UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { upstream.close(() => r()); upstream.closeAllConnections(); }));
  const addr = upstream.address() as { port: number };

  const node = await startPropane(t, {
    app: fixtureApp('waits-on-upstream.cjs'),
    workers: 2,
    env: { UPSTREAM_URL: `http://127.0.0.1:${addr.port}/` },
    config: { runtimeLimits: { maxConcurrentHTTPSessions: 4 } },
  });

  let tookMs = 0;
  const replies = await withLoadLock(async () => {
    const began = Date.now();
    const all = await Promise.all(Array.from({ length: 12 }, () => httpGet(node.port, '/', { timeoutMs: 15_000 }).catch((err: Error) => err)));
    tookMs = Date.now() - began;
    return all;
  });
  const answers = replies.filter((r): r is HttpReply => !(r instanceof Error));
  const ok = answers.filter((r) => r.status === 200);
  const busy = answers.filter((r) => r.status === 503);
  t.comment(`12 sessions against a limit of 4 with a ${UPSTREAM_DELAY_MS} ms upstream: ${ok.length} x 200, ${busy.length} x 503, ${replies.length - answers.length} errors, all settled in ${tookMs} ms`);

  t.equal(answers.length, 12, 'every session got an answer: no reset, no hang');
  t.equal(ok.length, 4, 'the node admitted exactly its limit');
  t.equal(busy.length, 8, 'every extra session was refused');
  for (const r of ok) t.equal(r.body, 'upstream said slowly\n', 'admitted requests completed with the upstream answer');
  const expected = expectedResponse('http_session_limit_503');
  for (const r of busy) t.same(contractView(r, expected), expected, 'the refusal is the exact 503 of the contract');
  t.equal(upstreamHits, 4, 'only admitted requests reached the upstream');

  const settled = await node.waitForStatus((s) => s.totals.sessions.http === 0 && s.totals.rejected.http_session_limit === 8);
  t.equal(settled.totals.sessions.http, 0, 'no session is left open');
  t.ok(settled.totals.leased.http <= 4, 'the ledger never leases past the limit');
  const again = await httpGet(node.port, '/', { timeoutMs: 15_000 });
  t.equal(again.status, 200, 'the node serves once the slow requests are done');
});
