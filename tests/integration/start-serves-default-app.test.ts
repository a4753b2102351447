import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { httpGet } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';

t.test('propane start serves the embedded app from every worker and reports them in /status', async (t) => {
  const node = await startPropane(t, { workers: 2, env: WORKER_PID_HEADERS });
  const res = await httpGet(node.port, '/');
  t.equal(res.status, 200);
  t.match(res.body, /^hello from propane worker \d+\n$/);
  t.equal(res.headers['x-arlen-worker-pid'], /(\d+)\n$/.exec(res.body)?.[1], 'the body names the answering worker');

  const status = StatusPayload.parse(await node.status());
  t.equal(status.workers.length, 2);
  t.same(status.workers.map((w) => w.state), ['ready', 'ready']);
  t.equal(status.listen.port, node.port);
  t.equal(status.supervisor.pid, node.pid);
  t.equal(status.supervisor.state, 'running');

  const stopped = await node.stop();
  t.equal(stopped.code, 0, 'SIGTERM stops with exit 0');
  t.same(stopped.leftovers, [], 'no worker outlives the supervisor');
});
