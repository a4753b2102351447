import t from 'tap';
import { LOG_EVENTS } from '../../contracts/log-events.js';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startPropane, type LogLine } from '../helpers/propane.js';

const LIFECYCLE = new Set(['worker_forked', 'worker_listening', 'worker_ready', 'worker_draining', 'worker_drained', 'worker_exit', 'reload_started', 'reload_completed', 'shutdown_started', 'supervisor_started', 'supervisor_stopped', 'listening']);

/** What happened to one slot, in order: events with the worker pid they concern. */
function slotStory(lines: LogLine[], slot: number): string[] {
  return lines.filter((l) => l.slot === slot && l.event && LIFECYCLE.has(l.event)).map((l) => `${l.event}:${String(l.worker_pid ?? l.pid)}`);
}

t.test('a start, a reload and a stop log each lifecycle event once, in order, with pid, slot and what an operator needs', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 2 } } });
  // /status may say ready before the log lines have come through the pipe.
  await node.waitForLog((l) => l.event === 'worker_ready' && l.slot === 0);
  await node.waitForLog((l) => l.event === 'worker_ready' && l.slot === 1);
  const startEnd = node.logs.length;
  const first = [0, 1].map((slot) => node.logs.find((l) => l.event === 'worker_forked' && l.slot === slot)!.worker_pid!);

  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  // Old workers drain after the reload reports completed, and not necessarily in slot order.
  for (const pid of first) await node.waitForLog((l) => l.event === 'worker_exit' && l.worker_pid === pid);
  const reloadEnd = node.logs.length;
  const second = [0, 1].map((slot) => node.logs.slice(startEnd).find((l) => l.event === 'worker_forked' && l.slot === slot)!.worker_pid!);

  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  await node.waitForEvent('supervisor_stopped', 5_000, reloadEnd);
  const start = node.logs.slice(0, startEnd);
  const reloading = node.logs.slice(startEnd, reloadEnd);
  const stopping = node.logs.slice(reloadEnd);

  for (const l of node.logs) {
    t.ok(LOG_EVENTS.includes(l.event as never), `${String(l.event)} is a known event`);
    t.type(l.pid, 'number', `${String(l.event)} carries pid`);
  }
  const count = (lines: LogLine[], event: string): number => lines.filter((l) => l.event === event).length;

  t.test('start', async (t) => {
    t.equal(count(start, 'supervisor_started'), 1);
    t.equal(count(start, 'listening'), 1, 'listening once, when the first worker is ready');
    for (const slot of [0, 1]) t.same(slotStory(start, slot), [`worker_forked:${first[slot]}`, `worker_listening:${first[slot]}`, `worker_ready:${first[slot]}`], `slot ${slot}: forked, listening, ready, each once`);
    for (const l of start.filter((x) => x.event === 'worker_ready')) {
      t.equal(l.pid, node.pid, 'worker_ready comes from the supervisor');
      t.type(l.boot_ms, 'number', 'worker_ready says how long the boot took');
    }
  });

  t.test('reload', async (t) => {
    t.equal(count(reloading, 'reload_started'), 1);
    t.equal(count(reloading, 'reload_completed'), 1);
    t.type(reloading.find((l) => l.event === 'reload_completed')!.duration_ms, 'number', 'reload_completed carries its duration');
    for (const slot of [0, 1]) {
      // Lines of different processes reach the stream in any order: order within the supervisor, then compare timestamps.
      const bySupervisor = reloading.filter((l) => l.pid === node.pid);
      t.same(slotStory(bySupervisor, slot), [`worker_forked:${second[slot]}`, `worker_listening:${second[slot]}`, `worker_ready:${second[slot]}`, `worker_exit:${first[slot]}`], `slot ${slot}: the replacement is forked and ready, then the old worker exits`);
      t.same(slotStory(reloading.filter((l) => l.pid === first[slot]), slot), [`worker_draining:${first[slot]}`, `worker_drained:${first[slot]}`], `slot ${slot}: the old worker drains once`);
      const at = (event: string, pid: number): number => Date.parse(reloading.find((l) => l.event === event && l.slot === slot && (l.worker_pid ?? l.pid) === pid)!.time as string);
      t.ok(at('worker_ready', second[slot]!) <= at('worker_draining', first[slot]!), `slot ${slot}: the replacement is ready before the old worker starts draining`);
      const exit = reloading.find((l) => l.event === 'worker_exit' && l.slot === slot)!;
      t.match(exit, { code: 0, signal: null, cause: 'planned' }, 'worker_exit carries code, signal and cause');
      t.type(exit.uptime_seconds, 'number');
      t.equal(reloading.find((l) => l.event === 'worker_draining' && l.slot === slot)!.reason, 'reload');
    }
    const started = reloading.findIndex((l) => l.event === 'reload_started');
    const readyIdx = reloading.map((l, i) => (l.event === 'worker_ready' ? i : -1)).filter((i) => i >= 0);
    const completed = reloading.findIndex((l) => l.event === 'reload_completed');
    t.ok(readyIdx.every((i) => i > started && i < completed), 'reload_started, then both replacements ready, then reload_completed');
  });

  t.test('stop', async (t) => {
    t.equal(count(stopping, 'shutdown_started'), 1);
    t.equal(stopping.find((l) => l.event === 'shutdown_started')!.trigger, 'SIGTERM');
    for (const slot of [0, 1]) {
      t.same(slotStory(stopping, slot), [`worker_draining:${second[slot]}`, `worker_drained:${second[slot]}`, `worker_exit:${second[slot]}`], `slot ${slot}: draining, drained, then one exit`);
      t.equal(stopping.find((l) => l.event === 'worker_draining' && l.slot === slot)!.reason, 'shutdown');
    }
    t.equal(stopping.at(-1)!.event, 'supervisor_stopped', 'supervisor_stopped is the last line');
    t.equal(stopping.at(-1)!.exit_code, 0);
  });
});

t.test('request logs carry the X-Request-Id taken from the client, and the response echoes it', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { logLevel: 'debug' } });
  const res = await httpGet(node.port, '/', { headers: { 'X-Request-Id': 'client-trace-42' } });
  t.equal(res.headers['x-request-id'], 'client-trace-42');
  const line = await node.waitForLog((l) => l.event === 'request' && l.request_id === 'client-trace-42');
  t.match(line, { method: 'GET', url: '/', status: 200, slot: 0 });
  const made = await httpGet(node.port, '/');
  t.match(made.headers['x-request-id'], /^[0-9a-f]{32}$/, 'one is made when the client sent none');
  await node.waitForLog((l) => l.event === 'request' && l.request_id === made.headers['x-request-id']);
});
