import t from 'tap';
import { waitEveryWorker } from '../helpers/every-worker.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';

// `make test-all-node` runs the suite once per Node.js line with that line first on PATH and
// TEST_NODE_VERSION naming it (docs/runtimes.md). This proves the whole chain runs on it:
// tap and this test file, the propane supervisor the test starts, and its workers.
const expected = process.env.TEST_NODE_VERSION;

t.test('this test file runs on the Node.js line under test', { skip: expected ? false : 'TEST_NODE_VERSION is not set: not under make test-all-node' }, async (t) => {
  t.equal(process.version, expected);
});

t.test('the supervisor and every worker run the same Node.js as the test', async (t) => {
  const node = await startPropane(t, { app: fixtureApp('reports-node-version.cjs'), workers: 2, env: WORKER_PID_HEADERS });
  t.match(node.logs.find((l) => l.event === 'supervisor_started'), { node_version: process.version });
  const replies = await waitEveryWorker(node, '/', (r) => r.status === 200);
  t.equal(replies.size, 2, 'both workers answered');
  for (const [pid, reply] of replies) t.same(JSON.parse(reply.body), { version: process.version, execPath: process.execPath }, `worker ${pid}`);
});
