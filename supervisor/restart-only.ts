import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../contracts/config.js';

/**
 * What a reload cannot change: the listener, the status socket and how
 * connections reach workers belong to the running process (node:cluster
 * freezes its scheduling policy at the first fork, and the reuse_port
 * sockets are bound at start); so does the node's membership (its name and
 * id in the cluster, and the source that counts its peers, registered or
 * configured at start). A restart changes them.
 */
const RESTART_ONLY: ReadonlyArray<{ key: string; of: (c: Config) => unknown }> = [
  { key: 'host', of: (c) => c.host },
  { key: 'port', of: (c) => c.port },
  { key: 'status', of: (c) => c.status },
  { key: 'propane.schedulingPolicy', of: (c) => c.propane.schedulingPolicy },
  { key: 'cluster.name', of: (c) => c.cluster.name },
  { key: 'cluster.nodeId', of: (c) => c.cluster.nodeId },
  { key: 'cluster.observedNodes', of: (c) => c.cluster.observedNodes },
  { key: 'cluster.membership', of: (c) => c.cluster.membership },
];

/** `next` with the restart-only keys of `running`, and the keys whose new value was set aside. */
export function keepRestartOnly(running: Config, next: Config): { config: Config; kept: string[] } {
  const kept = RESTART_ONLY.filter(({ of }) => !isDeepStrictEqual(of(running), of(next))).map(({ key }) => key);
  const { name, nodeId, observedNodes, membership } = running.cluster;
  const config = Object.freeze({
    ...next,
    host: running.host,
    port: running.port,
    status: running.status,
    propane: Object.freeze({ ...next.propane, schedulingPolicy: running.propane.schedulingPolicy }),
    cluster: Object.freeze({ ...next.cluster, name, nodeId, observedNodes, membership }),
  });
  return { config, kept };
}
