import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { httpGet } from '../helpers/http.js';
import { ROOT, sleep, startPropane } from '../helpers/propane.js';

const CONNECTIONS = 300;
const DRIBBLE_MS = 200;
const LORIS = join(ROOT, 'tests/fixtures/clients/i6-slowloris.cjs');
const LOCK_WAIT_SECONDS = 120;
const LOCK_BUSY = 75;

interface LorisReport {
  count: number;
  closed: number;
  results: Array<{ status: number; reason: string | null; ms: number }>;
}

t.test(`${CONNECTIONS} connections dribbling header bytes are all cut with 408 header while a normal client is served`, async (t) => {
  const node = await startPropane(t, {
    workers: 2,
    config: {
      timeouts: { headerSeconds: 1, bodySeconds: 1, idleSeconds: 1, writeSeconds: 1 },
      runtimeLimits: { maxConcurrentHTTPSessions: 2_000 },
    },
  });
  // One load test at a time on the shared machine (HELPERS.md): the attacker runs under the lock,
  // and waits for it at most LOCK_WAIT_SECONDS (flock then exits with LOCK_BUSY).
  const loris = spawn('flock', ['-w', String(LOCK_WAIT_SECONDS), '-E', String(LOCK_BUSY), '/tmp/propane-load.lock', process.execPath, LORIS, String(node.port), String(CONNECTIONS), String(DRIBBLE_MS), '30000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => loris.kill('SIGKILL'));
  let out = '';
  let onStart: () => void = () => {};
  const started = new Promise<void>((resolve) => (onStart = resolve));
  loris.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    if (out.includes('"started":true')) onStart();
  });
  const exitCode = new Promise<number | null>((resolve) => loris.once('exit', (code) => resolve(code)));
  const first = await Promise.race([started.then(() => 'started' as const), exitCode]);
  if (first === LOCK_BUSY) {
    const why = `/tmp/propane-load.lock stayed busy for ${LOCK_WAIT_SECONDS} s: another load test is running`;
    t.ok(true, 'slowloris not run', { skip: why });
    return;
  }

  let served = 0;
  let failed = 0;
  let running = true;
  const normal = (async () => {
    while (running) {
      try {
        const res = await httpGet(node.port, '/', { timeoutMs: 5_000 });
        if (res.status === 200) served++;
        else failed++;
      } catch {
        failed++;
      }
      await sleep(100);
    }
  })();
  await exitCode;
  running = false;
  await normal;

  const report = JSON.parse(out.trim().split('\n').at(-1)!) as LorisReport;
  t.equal(report.closed, CONNECTIONS, 'every dribbling connection was closed by the worker');
  const cut = report.results.filter((r) => r.status === 408 && r.reason === 'header');
  t.equal(cut.length, CONNECTIONS, 'each got 408 with X-Arlen-Timeout-Reason: header');
  const slowest = Math.max(...report.results.map((r) => r.ms));
  t.ok(slowest < 10_000, `the last one was cut within 10 s of the attack's start (took ${slowest} ms)`);
  t.ok(served >= 5, `the normal client was served throughout (${served} requests)`);
  t.equal(failed, 0, 'no normal request failed');
  const headerLines = node.logs.filter((l) => l.event === 'timeout' && l.reason === 'header');
  t.ok(headerLines.length >= 1 && headerLines.length <= 8, `the flood was logged in ${headerLines.length} rate-limited lines, not ${CONNECTIONS}`);
  let counted = 0;
  for (let i = 0; i < 50 && counted < CONNECTIONS; i++) {
    const metrics = await callStatusSocket(node.socket, 'GET', '/metrics', 5_000);
    counted = Number(/^propane_timeouts_total\{reason="header"\} (\d+)$/m.exec(metrics.body)?.[1] ?? 0);
    if (counted < CONNECTIONS) await sleep(100);
  }
  t.equal(counted, CONNECTIONS, 'the supervisor sums every cut across workers');
  const after = await httpGet(node.port, '/healthz');
  t.equal(after.status, 200, 'the node keeps serving after the attack');
});
