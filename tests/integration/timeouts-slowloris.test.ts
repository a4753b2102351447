import { spawn } from 'node:child_process';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { fixtureClient } from '../helpers/paths.js';
import { killOnExit, nodeCommand } from '../helpers/processes.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { pollUntil, sleep } from '../helpers/wait.js';

const CONNECTIONS = 300;
const DRIBBLE_MS = 200;

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
  const { out, served, failed } = await withLoadLock(async () => {
    // The client gives up on its own after 30 s, so waiting for its exit is bounded.
    const loris = killOnExit(spawn(...nodeCommand([fixtureClient('slowloris.cjs'), String(node.port), String(CONNECTIONS), String(DRIBBLE_MS), '30000']), { stdio: ['ignore', 'pipe', 'inherit'] }));
    t.teardown(() => loris.kill('SIGKILL'));
    let out = '';
    loris.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<void>((resolve) => loris.once('exit', () => resolve()));

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
    await exited;
    running = false;
    await normal;
    return { out, served, failed };
  });

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
  const header = { reason: 'header' };
  const metrics = await pollUntil(() => node.metrics(), (e) => (valueOf(e, 'propane_timeouts_total', header) ?? 0) >= CONNECTIONS, 5_000);
  const counted = valueOf(metrics, 'propane_timeouts_total', header);
  t.equal(counted, CONNECTIONS, 'the supervisor sums every cut across workers');
  const after = await httpGet(node.port, '/healthz');
  t.equal(after.status, 200, 'the node keeps serving after the attack');
});
