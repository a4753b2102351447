import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

// Crash loops (docs/operations.md): bounded restarts, near-idle supervisor
// CPU, and a supervisor that keeps answering although no worker ever became
// ready.

/** utime + stime of a process in seconds, from /proc/<pid>/stat (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const WINDOW_MS = 10_000;

t.test('an app that throws at load crash-loops with bounded restarts and an idle supervisor that keeps answering', async (t) => {
  const node = await startPropane(t, {
    app: fixtureApp('throws-at-load.cjs'),
    workers: 2,
    waitFor: 'nothing',
    config: { propane: { respawnDelayMs: 250, crashLoop: { maxRestarts: 3, windowSeconds: 10, maxBackoffSeconds: 4, stableSeconds: 30 } } },
  });
  await node.waitForEvent('supervisor_started', 20_000);
  const cpuBefore = cpuSeconds(node.pid);
  const forksBefore = node.forkedPids.length;
  const from = node.logs.length;
  await sleep(WINDOW_MS);
  const cpu = cpuSeconds(node.pid) - cpuBefore;
  const forks = node.forkedPids.length - forksBefore;

  // Per slot: 250, 250 ms, then 0.5, 1, 2, 4, 4 s backoff fit at most 7 respawns in 10 s.
  t.ok(forks >= 4 && forks <= 14, `${forks} forks in 10 s for 2 slots is bounded`);
  t.ok(cpu < 1, `the supervisor used ${cpu.toFixed(2)} s of CPU in 10 s`);

  const status = StatusPayload.parse(await node.status());
  t.equal(status.supervisor.state, 'running', 'the supervisor keeps running');
  t.equal(status.workers.length, 2);
  for (const w of status.workers) {
    t.ok(w.restarts >= 2, `slot ${w.slot} restarted ${w.restarts} times`);
    t.match(w.last_exit, { code: 1, signal: null, cause: 'boot_failure' }, `slot ${w.slot} last_exit names the exit code`);
  }
  // Between respawns a slot shows crash_loop, no pid and when it respawns; the two slots need not wait at the same time.
  const seen = new Set<number>();
  await node.waitForStatus((s) => {
    for (const w of s.workers) if (w.state === 'crash_loop' && w.pid === null && w.next_respawn_at !== null) seen.add(w.slot);
    return seen.size === 2;
  }, 15_000);

  for (const slot of [0, 1]) t.ok(node.logs.some((l) => l.event === 'crash_loop' && l.slot === slot), `crash_loop is logged for slot ${slot}`);
  const exits = node.logs.slice(from).filter((l) => l.event === 'worker_exit');
  t.ok(exits.length >= 4, `${exits.length} exits logged`);
  t.ok(exits.every((l) => l.code === 1 && l.signal === null && l.cause === 'boot_failure'), 'every exit is logged with its code and no signal');
  const delays = node.logs.filter((l) => l.event === 'worker_respawn_scheduled' && l.slot === 0).map((l) => l.delay_ms as number);
  t.same(delays.slice(0, 5), [250, 250, 500, 1_000, 2_000].slice(0, delays.length), 'respawns back off exponentially');
  t.ok(delays.every((d) => d <= 4_000), 'never past maxBackoffSeconds');

  const metrics = await callStatusSocket(node.socket, 'GET', '/metrics', 5_000);
  t.equal(metrics.status, 200, 'the status socket serves metrics too');
  await t.rejects(httpGet(node.port, '/', { timeoutMs: 2_000 }), 'no worker serves');
});

t.test('a slot that stays up stableSeconds leaves crash_loop and its backoff starts over', async (t) => {
  // The app fails its first two boots (a marker file counts them), then serves.
  const dir = tempDir(t);
  const app = join(dir, 'app.cjs');
  writeFileSync(
    app,
    `const fs = require('node:fs'); const f = ${JSON.stringify(join(dir, 'boots'))};
     const n = fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0; fs.writeFileSync(f, String(n + 1));
     if (n < 2) throw new Error('boot ' + n + ' fails');
     module.exports = (req, res) => res.end('up\\n');\n`,
  );
  const node = await startPropane(t, {
    app,
    workers: 1,
    waitFor: 'nothing',
    config: { propane: { respawnDelayMs: 100, crashLoop: { maxRestarts: 2, windowSeconds: 30, maxBackoffSeconds: 1, stableSeconds: 1 } } },
  });
  await node.waitForEvent('crash_loop', 20_000);
  await node.waitForEvent('crash_loop_cleared', 20_000);
  const status = await node.status();
  t.equal(status.workers[0]?.state, 'ready');
  t.equal(status.workers[0]?.restarts, 2);
  t.equal((await httpGet(node.port, '/')).body, 'up\n');

  // A crash now is a first exit again: respawnDelayMs, not the crash-loop backoff.
  const from = node.logs.length;
  process.kill(status.workers[0]!.pid!, 'SIGKILL');
  const scheduled = await node.waitForEvent('worker_respawn_scheduled', 10_000, from);
  t.equal(scheduled.delay_ms, 100);
  t.equal(scheduled.crash_loop, false);
  const exit = node.logs.slice(from).find((l) => l.event === 'worker_exit');
  t.match(exit, { signal: 'SIGKILL', code: null, cause: 'crash' }, 'the exit is logged with its signal');
});
