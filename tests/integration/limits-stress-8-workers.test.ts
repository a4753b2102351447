import { connect } from 'node:net';
import t from 'tap';
import { isCompleteResponse, parseRawResponse } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { isAlive } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

const LIMIT = 16;
const ATTEMPTS = 3000;
const CONCURRENCY = 48;

type Outcome = 'ok' | 'busy' | 'bad';

/**
 * One connection attempt: connect, GET, read the whole answer. An admitted
 * session is held open a few ms (so sessions overlap and churn), then closed.
 * `held` counts the sessions this client holds admitted right now: the
 * server counts each of them too, so it can never exceed the limit.
 */
function attempt(port: number, held: { now: number; max: number }): Promise<{ outcome: Outcome; detail: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let done = false;
    const finish = (outcome: Outcome, detail: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ outcome, detail });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish('bad', 'no answer within 20 s');
    }, 20_000);
    socket.on('error', (err) => finish('bad', `socket error ${err.message} after ${JSON.stringify(text.slice(0, 80))}`));
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!isCompleteResponse(text)) return;
      const r = parseRawResponse(text);
      if (r.status === 200) {
        held.now++;
        held.max = Math.max(held.max, held.now);
        setTimeout(() => {
          held.now--;
          socket.destroy();
          finish('ok', '');
        }, Math.floor(Math.random() * 20));
      } else if (
        r.status === 503 &&
        r.body === 'server busy\n' &&
        r.headers['retry-after'] === '1' &&
        r.headers['connection'] === 'close' &&
        r.headers['x-arlen-backpressure-reason'] === 'http_session_limit'
      ) {
        socket.once('close', () => finish('busy', ''));
      } else {
        socket.destroy();
        finish('bad', JSON.stringify(text.slice(0, 300)));
      }
    });
  });
}

t.test(`8 workers under ${ATTEMPTS} connection attempts: every answer is 200 or the exact 503, and the ledger never passes the limit`, async (t) => {
  const node = await startPropane(t, { workers: 8, args: ['--max-http-sessions', String(LIMIT), '--scheduling-policy', 'round_robin'], timeoutMs: 60_000 });
  const outcomes: Record<Outcome, number> = { ok: 0, busy: 0, bad: 0 };
  const bad: string[] = [];
  const held = { now: 0, max: 0 };
  let maxLeased = 0;
  let maxSessions = 0;
  let samples = 0;

  await withLoadLock(async () => {
    let next = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        const s = await node.status();
        samples++;
        maxLeased = Math.max(maxLeased, s.totals.leased.http);
        maxSessions = Math.max(maxSessions, s.totals.sessions.http);
        await sleep(20);
      }
    })();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ATTEMPTS) {
          next++;
          const r = await attempt(node.port, held);
          outcomes[r.outcome]++;
          if (r.outcome === 'bad' && bad.length < 5) bad.push(r.detail);
        }
      }),
    );
    running = false;
    await sampler;
  });

  t.equal(outcomes.ok + outcomes.busy + outcomes.bad, ATTEMPTS);
  t.equal(outcomes.bad, 0, `every answer was 200 or the exact 503 (bad: ${bad.join(' | ')})`);
  t.ok(outcomes.ok >= LIMIT && outcomes.busy > 0, `the load both filled the node and overflowed it (${outcomes.ok} admitted, ${outcomes.busy} refused)`);
  t.ok(held.max <= LIMIT, `the client never held more than ${LIMIT} admitted sessions at once (max ${held.max})`);
  t.ok(held.max >= LIMIT / 2, `and did come close to the limit (max ${held.max})`);
  t.ok(samples >= 5, `/status was sampled throughout (${samples} samples)`);
  t.ok(maxLeased <= LIMIT, `totals.leased.http never exceeded ${LIMIT} (max ${maxLeased})`);
  t.ok(maxSessions <= LIMIT, `totals.sessions.http never exceeded ${LIMIT} (max ${maxSessions})`);

  t.ok(isAlive(node.pid), 'the supervisor is alive: the Ledger, which throws on leased > limit, never threw');
  t.notMatch(node.stderr, /ledger\(/, 'no ledger error on stderr');
  t.equal(node.logs.filter((l) => /ledger\(/.test(JSON.stringify(l))).length, 0, 'no ledger error in the log');
  const status = await node.status();
  t.equal(status.workers.filter((w) => w.state === 'ready').length, 8, 'all 8 workers still serve');
  t.same(status.workers.map((w) => w.restarts), Array(8).fill(0), 'no worker died');
  const rejected = await node.waitForStatus((s) => s.totals.rejected.http_session_limit === outcomes.busy);
  t.equal(rejected.totals.rejected.http_session_limit, outcomes.busy, '/status counted every refusal');
});
