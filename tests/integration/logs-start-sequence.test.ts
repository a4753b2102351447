import t from 'tap';
import { LOG_EVENTS } from '../../contracts/log-events.js';
import { startPropane } from '../helpers/propane.js';

t.test('every log line is pino JSON with event and pid, worker lines carry slot, and a start reads supervisor_started, worker_forked, worker_ready, listening', async (t) => {
  const node = await startPropane(t, { workers: 2 });
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(node.nonJson, [], 'nothing but JSON lines on stdout');
  t.ok(node.logs.length > 8);
  for (const line of node.logs) {
    t.ok((LOG_EVENTS as readonly string[]).includes(String(line.event)), `a known event: ${String(line.event)}`);
    t.ok(Number.isInteger(line.pid), 'pid');
    t.type(line.level, 'number');
    t.type(line.time, 'string');
    if (line.role === 'worker') t.ok(Number.isInteger(line.slot), `worker line ${String(line.event)} has slot`);
  }
  const workerPids = new Set(node.forkedPids);
  t.equal(workerPids.size, 2);
  t.same(new Set(node.logs.filter((l) => l.role === 'worker').map((l) => l.pid)), workerPids, 'worker lines carry the worker pid');
  t.ok(node.logs.filter((l) => l.role === 'supervisor').every((l) => l.pid === node.pid), 'supervisor lines carry its pid');
  for (const e of ['worker_forked', 'worker_ready', 'worker_exit']) {
    t.ok(node.logs.filter((l) => l.role === 'supervisor' && l.event === e).every((l) => Number.isInteger(l.slot)), `supervisor ${e} lines name the slot`);
  }

  const sup = node.logs.filter((l) => l.role === 'supervisor');
  const at = (event: string): number => sup.findIndex((l) => l.event === event);
  t.ok(at('supervisor_started') >= 0 && at('supervisor_started') < at('worker_forked'), 'supervisor_started before worker_forked');
  t.ok(at('worker_forked') < at('worker_ready'), 'worker_forked before worker_ready');
  t.ok(at('worker_ready') < at('listening'), 'worker_ready before listening');
  t.match(sup[at('supervisor_started')], { workers: 2, host: '127.0.0.1', port: node.port, status_socket: node.socket });
  t.match(sup[at('listening')], { port: node.port, url: `http://127.0.0.1:${node.port}` });
  t.ok(at('supervisor_stopped') > at('listening'), 'supervisor_stopped at the end');
});
