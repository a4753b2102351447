import t from 'tap';
import { requireEtcd, startEtcd, startEtcdNodes } from '../helpers/etcd.js';
import { answers, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';

const LEASE_SECONDS = 2;

t.test('etcd killed and restarted on its data dir is survived: partitioned while down, the right count after', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  const nodes = await startEtcdNodes(t, etcd, [2, 2], { expectedNodes: 2, quorumReadiness: true });
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', answers(200))));

  const killedAt = Date.now();
  await etcd.first.kill();
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('unavailable', 0), (LEASE_SECONDS + 1) * 1000)));
  t.comment(`measured: every worker of both nodes reported the dead store ${Date.now() - killedAt} ms after SIGKILL`);
  for (const n of nodes) {
    await waitEveryWorker(n, '/readyz', answers(503), 5_000);
    t.equal((await httpGet(n.port, '/')).status, 200, 'the app keeps serving while etcd is down');
  }

  const restartedAt = Date.now();
  await etcd.first.restart();
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2), 15_000)));
  t.comment(`measured: every worker of both nodes counted 2 again ${Date.now() - restartedAt} ms after etcd was restarted`);
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/readyz', answers(200), 5_000)));
  for (const n of nodes) t.equal(n.proc.exitCode, null, 'no restart: the same supervisor is running');
});
