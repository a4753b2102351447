import t from 'tap';
import { etcdctl, etcdNodeConfig, requireEtcd, startEtcd } from '../helpers/etcd.js';
import { clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { startPropane } from '../helpers/propane.js';

const PASSWORD = 'hunter2-etcd-secret';

function withAuth(config: Record<string, unknown>, password: string): Record<string, unknown> {
  const cluster = config.cluster as { membership: { etcd: Record<string, unknown> } };
  cluster.membership.etcd.username = 'root';
  cluster.membership.etcd.password = password;
  return config;
}

t.test('with etcd auth the node registers with its username and password, and never prints the password', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t);
  for (const args of [['user', 'add', 'root', `--new-user-password=${PASSWORD}`], ['auth', 'enable']]) {
    const r = etcdctl(etcd.endpoints, args);
    t.equal(r.code, 0, `etcdctl ${args[0]} ${args[1]}`);
  }

  const good = await startPropane(t, { workers: 1, config: withAuth(etcdNodeConfig(etcd.endpoints, 'authed'), PASSWORD) });
  await waitEveryWorker(good, '/clusterz', clusterzSays('connected', 1));

  const bad = await startPropane(t, { workers: 1, config: withAuth(etcdNodeConfig(etcd.endpoints, 'wrong-password'), 'not-the-password') });
  await waitEveryWorker(bad, '/clusterz', clusterzSays('unavailable', 0));
  t.ok(bad.logs.some((l) => l.event === 'membership_store_lost'), 'a wrong password reads as an unavailable store, logged');

  for (const node of [good, bad]) {
    const everything = JSON.stringify(node.logs) + node.stderr + JSON.stringify(await node.status());
    t.notMatch(everything, new RegExp(PASSWORD), 'the password is in no log line and not in /status');
    t.notMatch(everything, /not-the-password/);
  }
});
