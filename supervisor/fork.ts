import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { ClusterState } from '../contracts/cluster.js';
import type { Config } from '../contracts/config.js';
import { IPC_SCHEMA_VERSION, WORKER_BOOT_ENV, type WorkerBoot } from '../contracts/ipc.js';
import { withoutSupervisorSecrets } from '../shared/secrets.js';
import { NOTIFY_ENV_KEYS } from './sd-notify.js';

/** The worker entry, found by path: supervisor/ never imports worker/. */
const WORKER_ENTRY = fileURLToPath(new URL('../worker/main.js', import.meta.url));

/** node:cluster copies process.env into each worker; undefined drops a key. The service manager's variables are the supervisor's alone. */
const SUPERVISOR_ONLY_ENV = Object.fromEntries(NOTIFY_ENV_KEYS.map((k) => [k, undefined]));

let configured = false;

/**
 * node:cluster freezes its scheduling policy at the first setupPrimary, so
 * it is set once, before the first fork; a reload cannot change it. Under
 * reuse_port workers listen on socket handles, never through node:cluster,
 * so its policy does not matter: SCHED_NONE keeps the primary off the
 * accept path should anything listen through it.
 */
export function setupCluster(policy: Config['propane']['schedulingPolicy']): void {
  if (configured) return;
  configured = true;
  cluster.schedulingPolicy = policy === 'round_robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
}

/** What a worker is started with; workers check it strictly, without filling in defaults, so it carries the whole normalised config. */
export function bootPayload(slot: number, config: Config, port: number, clusterState: ClusterState): WorkerBoot {
  return { schema_version: IPC_SCHEMA_VERSION, slot, config: withoutSupervisorSecrets(config), port, cluster_state: clusterState };
}

export function forkWorker(slot: number, config: Config, port: number, clusterState: ClusterState) {
  return cluster.fork({ ...SUPERVISOR_ONLY_ENV, [WORKER_BOOT_ENV]: JSON.stringify(bootPayload(slot, config, port, clusterState)) });
}
