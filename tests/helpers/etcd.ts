import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, which, type ToolTest } from './debian-tools.js';
import { freePort } from './ports.js';
import { killOnExit } from './processes.js';
import { startPropane, type PropaneNode } from './propane.js';
import { sleep, within } from './wait.js';

/**
 * Real etcd servers for the membership tests (docs/cluster-etcd.md):
 * Debian's etcd-server on free loopback ports with a temporary data dir,
 * stopped and removed by teardown, which fails the test if a member will
 * not die. Nothing else in the suite needs etcd.
 */

export function etcdBinary(): string | null {
  return which('etcd');
}

/**
 * True when etcd and etcdctl are installed (Debian's etcd-server and
 * etcd-client; tests/helpers/install-tools.sh installs both). Otherwise the
 * test is skipped with a loud message, or fails when CI is "true": CI must
 * run the membership tests.
 */
export function requireEtcd(t: ToolTest): boolean {
  return requireTools(t, [['etcd', 'etcd-server'], ['etcdctl', 'etcd-client']], 'the etcd membership tests');
}

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
}

/** One etcd member process; `restart()` starts it again on the same ports and data dir. */
export class EtcdMember {
  proc: ChildProcess | null = null;
  log = '';
  readonly dataDir: string;

  constructor(
    readonly spec: MemberSpec,
    readonly initialCluster: string,
    readonly token: string,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `propane-etcd-${spec.name}-`));
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.spec.clientPort}`;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  launch(): void {
    const peer = `http://127.0.0.1:${this.spec.peerPort}`;
    const args = [
      '--name', this.spec.name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl,
      '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-token', this.token,
      '--initial-cluster-state', 'new',
      // Elections within about half a second, well inside the 2-second leases the tests use (etcd's default is 1 to 2 s).
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'error',
    ];
    const proc = killOnExit(spawn(etcdBinary() ?? 'etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (this.log = (this.log + c).slice(-4000)));
    this.proc = proc;
  }

  /** Waits until this member answers /health with "true". */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`etcd ${this.spec.name} exited: ${this.log}`);
      if (await health(this.spec.clientPort)) return;
      await sleep(100);
    }
    throw new Error(`etcd ${this.spec.name} not healthy within ${timeoutMs} ms: ${this.log}`);
  }

  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc?.kill('SIGCONT');
  }

  /** SIGKILL, and wait until the process is gone; throws if it is still there after 5 s. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const gone = new Promise<true>((r) => proc.once('exit', () => r(true)));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    if (!(await within(gone, 5_000))) throw new Error(`etcd ${this.spec.name} (pid ${this.pid}) still runs 5 s after SIGKILL`);
  }

  /** Starts again on the same ports and data dir (what survived the kill). */
  async restart(): Promise<void> {
    await this.kill();
    this.launch();
    await this.waitHealthy();
  }

  async destroy(): Promise<void> {
    try {
      await this.kill();
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** The members of one etcd cluster; `endpoints` is what a propane node is configured with. */
export class EtcdCluster {
  constructor(readonly members: EtcdMember[]) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  get first(): EtcdMember {
    return this.members[0]!;
  }
}

/** Starts an etcd cluster of `size` members on loopback; teardown kills them and removes their data dirs. */
export async function startEtcd(t: ToolTest, size = 1): Promise<EtcdCluster> {
  const specs: MemberSpec[] = [];
  for (let i = 0; i < size; i++) specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const token = `propane-test-${process.pid}-${specs[0]!.clientPort}`;
  const members = specs.map((s) => new EtcdMember(s, initialCluster, token));
  t.teardown(() => Promise.all(members.map((m) => m.destroy())));
  for (const m of members) m.launch();
  await Promise.all(members.map((m) => m.waitHealthy()));
  return new EtcdCluster(members);
}

function health(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Runs etcdctl against `endpoints` (v3 API); for writing what another party would write. */
export function etcdctl(endpoints: string[], args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('etcdctl', ['--endpoints', endpoints.join(','), '--command-timeout', '3s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type NodeExtra = { expectedNodes?: number; quorumReadiness?: boolean; clusterName?: string; leaseSeconds?: number };

/** Starts one propane node per entry of `workers` (its worker count), with ids node-a, node-b, ..., all measuring their membership from `etcd` alike. */
export async function startEtcdNodes(t: ToolTest, etcd: EtcdCluster, workers: number[], extra: NodeExtra = {}): Promise<PropaneNode[]> {
  const nodes: PropaneNode[] = [];
  for (const [i, n] of workers.entries()) nodes.push(await startPropane(t, { workers: n, config: etcdNodeConfig(etcd.endpoints, `node-${String.fromCharCode(97 + i)}`, extra) }));
  return nodes;
}

/** The config of a propane node that measures its membership from `endpoints`, with 2-second leases to keep tests quick. */
export function etcdNodeConfig(endpoints: string[], nodeId: string, extra: NodeExtra = {}): Record<string, unknown> {
  return {
    cluster: {
      enabled: true,
      name: extra.clusterName ?? 'test',
      nodeId,
      expectedNodes: extra.expectedNodes ?? 1,
      membership: { source: 'etcd', leaseSeconds: extra.leaseSeconds ?? 2, etcd: { endpoints } },
    },
    observability: { readinessRequiresClusterQuorum: extra.quorumReadiness ?? false },
    propane: { gracefulShutdownSeconds: 1 },
  };
}
