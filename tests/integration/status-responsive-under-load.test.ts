import t from 'tap';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { failures, runLoad } from '../helpers/load.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

t.test('/status and /metrics keep answering while every worker burns CPU', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('burns-cpu.cjs'), workers: 2 });
  const { load, answered, failed, lagSeen } = await withLoadLock(async () => {
    let stop = false;
    const load = runLoad(node.port, 3_000, { path: '/burn?ms=50', concurrency: 8, timeoutMs: 20_000 }).finally(() => (stop = true));
    let answered = 0;
    let failed = 0;
    let lagSeen = 0;
    while (!stop) {
      try {
        const status = await callStatusSocket(node.socket, 'GET', '/status', 5_000);
        const metrics = await callStatusSocket(node.socket, 'GET', '/metrics', 5_000);
        if (status.status === 200 && metrics.status === 200) answered++;
        else failed++;
        const payload = JSON.parse(status.body) as { workers: Array<{ event_loop_lag_ms: number | null }> };
        lagSeen = Math.max(lagSeen, ...payload.workers.map((w) => w.event_loop_lag_ms ?? 0));
      } catch {
        failed++;
      }
      await sleep(50);
    }
    return { load: await load, answered, failed, lagSeen };
  });
  t.ok((load.statuses[200] ?? 0) > 16, `the workers were busy serving (${load.statuses[200] ?? 0} burns)`);
  t.equal(failures(load), 0, 'the load itself saw no failure');
  t.equal(failed, 0, 'no status request failed during the load');
  t.ok(answered >= 10, `the status socket answered throughout the load (${answered} /status + /metrics pairs in ~3 s)`);
  t.ok(lagSeen >= 10, `the status shows the workers' event loops were blocked (max lag ${lagSeen} ms)`);
});
