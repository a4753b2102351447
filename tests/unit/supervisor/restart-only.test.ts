import { tmpdir } from 'node:os';
import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import { loadConfig } from '../../../shared/config/load.js';
import { keepRestartOnly } from '../../../supervisor/restart-only.js';

const running = loadConfig({ cwd: tmpdir(), env: {}, flags: { schedulingPolicy: 'round_robin', port: '3000' } }).config;
const with_ = (over: (c: Config) => Config): Config => over(structuredClone(running) as Config);

for (const c of [
  { name: 'a reload that changes only what a reload may change keeps nothing back', next: with_((c) => ({ ...c, workers: c.workers + 1, timeouts: { ...c.timeouts, idleSeconds: 9 } })), kept: [] },
  { name: 'another scheduling policy is set aside and named', next: with_((c) => ({ ...c, propane: { ...c.propane, schedulingPolicy: 'reuse_port' } })), kept: ['propane.schedulingPolicy'] },
  { name: 'another port and status socket are set aside and named', next: with_((c) => ({ ...c, port: 4000, status: { ...c.status, socket: '/run/other.sock' } })), kept: ['port', 'status'] },
  { name: 'another host is set aside and named', next: with_((c) => ({ ...c, host: '0.0.0.0' })), kept: ['host'] },
  { name: "the node's membership is set aside and named: cluster name, node id, observed nodes, membership source", next: with_((c) => ({ ...c, cluster: { ...c.cluster, name: 'other', nodeId: 'n2', observedNodes: 5, expectedNodes: 5, membership: { ...c.cluster.membership, leaseSeconds: 9 } } })), kept: ['cluster.name', 'cluster.nodeId', 'cluster.observedNodes', 'cluster.membership'] },
]) {
  t.test(c.name, async (t) => {
    const { config, kept } = keepRestartOnly(running, c.next);
    t.same(kept, c.kept);
    t.equal(config.propane.schedulingPolicy, 'round_robin', 'the running policy stays');
    t.same([config.host, config.port, config.status], [running.host, running.port, running.status], 'the listener and the status socket stay');
    t.same([config.cluster.name, config.cluster.nodeId, config.cluster.observedNodes, config.cluster.membership], [running.cluster.name, running.cluster.nodeId, running.cluster.observedNodes, running.cluster.membership], 'so does the membership');
    t.equal(config.cluster.expectedNodes, c.next.cluster.expectedNodes, 'expectedNodes comes from the new config');
    t.equal(config.workers, c.next.workers, 'the rest comes from the new config');
    t.same(config.timeouts, c.next.timeouts);
    t.ok(Object.isFrozen(config) && Object.isFrozen(config.propane) && Object.isFrozen(config.cluster), 'frozen like every config');
  });
}
