import t from 'tap';
import { etcdctl, requireEtcd, startEtcd, startEtcdNodes } from '../helpers/etcd.js';
import { answers, clusterzOf, clusterzSays, waitEveryWorker } from '../helpers/every-worker.js';
import { sleep } from '../helpers/wait.js';

// Losing the leader costs an election (0.5 to 1 s with the helper's timings, more on a busy machine) during
// which nothing is renewed; 3-second leases keep that inside the store-lost rule, as docs/cluster-etcd.md advises.
const LEASE_SECONDS = 3;

t.test('a 3-member etcd cluster with one member stopped changes nothing for propane', async (t) => {
  if (!requireEtcd(t)) return;
  const etcd = await startEtcd(t, 3);
  const nodes = await startEtcdNodes(t, etcd, [2, 1], { expectedNodes: 2, quorumReadiness: true, leaseSeconds: LEASE_SECONDS });
  await Promise.all(nodes.map((n) => waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2))));
  const before = await Promise.all(nodes.map(async (n) => (await n.status()).cluster.generation));
  const logsBefore = nodes.map((n) => n.logs.length);

  // The leader is the member whose loss costs most: keepalives and writes wait for a new election.
  const leader = etcd.members.find((m) => isLeader(m.clientUrl));
  t.ok(leader, 'one member is the leader');
  if (!leader) return;
  await leader.kill();
  const downUntil = Date.now() + (LEASE_SECONDS + 1) * 1000 + 1000;
  while (Date.now() < downUntil) {
    for (const n of nodes) {
      const s = await n.status();
      t.equal(s.cluster.observed_nodes, 2, `${leader.spec.name} down: ${String(s.cluster.node_id)} still counts 2`);
      t.equal((s.cluster as { store?: { state: string } }).store?.state, 'connected');
    }
    await sleep(250);
  }
  await leader.restart();

  for (const n of nodes) {
    const replies = await waitEveryWorker(n, '/clusterz', clusterzSays('connected', 2));
    for (const r of replies.values()) t.equal(clusterzOf(r).cluster.quorum.status, 'nominal');
    await waitEveryWorker(n, '/readyz', answers(200));
  }
  const events = nodes.map((n, i) => n.logs.slice(logsBefore[i]).filter((l) => String(l.event).startsWith('membership_')));
  t.same(events.map((e) => e.map((l) => l.event)), [[], []], 'no membership event on either node', { events });
  const after = await Promise.all(nodes.map(async (n) => (await n.status()).cluster.generation));
  t.comment(`cluster-state generations before ${before.join(',')} after ${after.join(',')}`);
});

/** True when the member at `url` says it is the leader (ids compared as text: they exceed 2^53). */
function isLeader(url: string): boolean {
  const out = etcdctl([url], ['endpoint', 'status', '-w', 'json']).stdout;
  const member = /"member_id":(\d+)/.exec(out)?.[1];
  return member !== undefined && new RegExp(`"leader":${member}\\b`).test(out);
}
