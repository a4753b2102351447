import { request } from 'node:http';
import t from 'tap';
import { rawConnect, rawGet, readUntil, isCompleteResponse, statusOf } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { contractView, expectedResponse } from '../helpers/runtime-hardening.js';
import { sleep } from '../helpers/wait.js';

const ATTEMPTS = 10_000;
const CONCURRENCY = 48;
const LIMIT = 8;

interface Storm {
  ok: number;
  busy: number;
  otherStatus: Record<number, number>;
  wrongBusy: string[];
  errors: Record<string, number>;
  maxSessionsSeen: number;
  ms: number;
}

t.test('10,000 connection attempts against a limit of 8: every answer is 200 or the exact 503, totals match, nothing leaks, the node serves afterwards', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { runtimeLimits: { maxConcurrentHTTPSessions: LIMIT } } });
  const expected = expectedResponse('http_session_limit_503');

  const storm = await withLoadLock(async (): Promise<Storm> => {
    const r: Storm = { ok: 0, busy: 0, otherStatus: {}, wrongBusy: [], errors: {}, maxSessionsSeen: 0, ms: 0 };
    const began = Date.now();
    let next = 0;
    let done = false;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port: node.port, path: '/', agent: false, timeout: 15_000 }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode === 200) r.ok++;
            else if (res.statusCode === 503) {
              r.busy++;
              const seen = contractView({ status: 503, headers: res.headers, body }, expected);
              if (JSON.stringify(seen) !== JSON.stringify(expected) && r.wrongBusy.length < 5) r.wrongBusy.push(JSON.stringify(seen));
            } else r.otherStatus[res.statusCode ?? 0] = (r.otherStatus[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
        req.on('error', (err: NodeJS.ErrnoException) => {
          r.errors[err.code ?? err.message] = (r.errors[err.code ?? err.message] ?? 0) + 1;
          resolve();
        });
        req.end();
      });
    const watcher = (async () => {
      while (!done) {
        const s = await node.status();
        r.maxSessionsSeen = Math.max(r.maxSessionsSeen, s.totals.sessions.http);
        await sleep(100);
      }
    })();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ATTEMPTS) {
        next++;
        await one();
      }
    }));
    done = true;
    await watcher;
    r.ms = Date.now() - began;
    return r;
  });
  t.comment(`${ATTEMPTS} attempts in ${storm.ms} ms: ${storm.ok} x 200, ${storm.busy} x 503, other ${JSON.stringify(storm.otherStatus)}, errors ${JSON.stringify(storm.errors)}; most sessions seen in /status: ${storm.maxSessionsSeen}`);

  t.equal(storm.ok + storm.busy, ATTEMPTS, 'every attempt got an answer: 200 or 503');
  t.same(storm.errors, {}, 'no reset, no refused connection, no timeout');
  t.same(storm.otherStatus, {}, 'no other status');
  t.same(storm.wrongBusy, [], 'every 503 is the exact shape of the contract');
  t.ok(storm.ok > 0 && storm.busy > 0, 'the limit was both used and defended');
  t.ok(storm.maxSessionsSeen <= LIMIT, 'the node-wide sessions in /status never exceeded the limit');

  const settled = await node.waitForStatus((s) => s.totals.sessions.http === 0 && s.totals.rejected.http_session_limit === storm.busy, 20_000);
  t.equal(settled.totals.rejected.http_session_limit, storm.busy, 'the node counted exactly the 503s the clients saw');
  t.ok(settled.totals.leased.http <= LIMIT, `the ledger leases no more than the limit (${settled.totals.leased.http} leased once idle: the workers' reserve)`);
  const metrics = await node.metrics();
  t.equal(valueOf(metrics, 'propane_requests_total', { class: '2xx' }), storm.ok, 'the node counted exactly the 200s the clients saw');
  t.equal(valueOf(metrics, 'propane_rejected_total', { reason: 'http_session_limit' }), storm.busy);
  t.same(settled.workers.map((w) => w.state), ['ready', 'ready'], 'both workers survived');
  const backpressure = node.logs.filter((l) => l.event === 'backpressure');
  t.ok(backpressure.length > 0 && backpressure.every((l) => l.reason === 'http_session_limit' && typeof l.slot === 'number'), 'refusals are logged as backpressure with the reason and the slot');
  t.ok(backpressure.length <= 12, `rate-limited, not one line per refusal (${backpressure.length} lines for ${storm.busy} refusals)`);

  // Nothing leaked: the full limit is admissible again, and one more is refused.
  const held = await Promise.all(Array.from({ length: LIMIT }, () => rawConnect(node.port)));
  t.teardown(() => held.forEach((s) => s.destroy()));
  const answers = await Promise.all(held.map((s) => rawGet(s, '/')));
  t.same(answers.map(statusOf), Array(LIMIT).fill(200), `${LIMIT} sessions at once are admitted after the storm`);
  const extra = await rawConnect(node.port);
  t.teardown(() => extra.destroy());
  extra.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  t.equal(statusOf(await readUntil(extra, isCompleteResponse)), 503, 'and the next one is refused');
  for (const s of held) s.destroy();
  const drained = await node.waitForStatus((s) => s.totals.sessions.http === 0);
  t.equal(drained.totals.sessions.http, 0, 'all sessions closed: none held');
});
