import t from 'tap';
import { etcdNodeConfig, requireEtcd, startEtcd } from '../helpers/etcd.js';
import { clusterzOf, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { sleep, startPropane } from '../helpers/propane.js';

const LEASE_SECONDS = 2;

t.test('a 3-member etcd cluster with one member stopped changes nothing for propane', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t, 3);
  const nodes = [
    await startPropane(t, { workers: 2, config: etcdNodeConfig(etcd.endpoints, 'node-a', { expectedNodes: 2, quorumReadiness: true }) }),
    await startPropane(t, { workers: 1, config: etcdNodeConfig(etcd.endpoints, 'node-b', { expectedNodes: 2, quorumReadiness: true }) }),
  ];
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2))));
  const before = await Promise.all(nodes.map(async (n) => (await n.status()).cluster.generation));
  const logsBefore = nodes.map((n) => n.logs.length);

  // Whichever member each node talks to, stopping one member of three must not show.
  for (const member of etcd.members.slice(0, 2)) {
    await member.kill();
    const downUntil = Date.now() + (LEASE_SECONDS + 1) * 1000 * 2;
    while (Date.now() < downUntil) {
      for (const n of nodes) {
        const s = await n.status();
        t.equal(s.cluster.observed_nodes, 2, `${member.spec.name} down: ${String(s.cluster.node_id)} still counts 2`);
        t.equal((s.cluster as { store?: { state: string } }).store?.state, 'connected');
      }
      await sleep(500);
    }
    await member.restart();
  }

  for (const n of nodes) {
    const replies = await waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2));
    for (const r of replies.values()) t.equal(clusterzOf(r).cluster.quorum.status, 'nominal');
    await waitEveryWorker(n, '/readyz', (r) => r.status === 200);
  }
  const events = nodes.map((n, i) => n.logs.slice(logsBefore[i]).filter((l) => String(l.event).startsWith('membership_')));
  t.same(events.map((e) => e.map((l) => l.event)), [[], []], 'no membership event on either node', { events });
  const after = await Promise.all(nodes.map(async (n) => (await n.status()).cluster.generation));
  t.comment(`cluster-state generations before ${before.join(',')} after ${after.join(',')}`);
});
