import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { configOfStartArgs, stopBudgetSeconds } from '../helpers/deploy.js';
import { ROOT } from '../helpers/paths.js';
import { tempFile } from '../helpers/temp.js';

// deploy/kubernetes (docs/deploy.md, "Kubernetes"): no API server runs here, so
// the manifests are parsed with npm's yaml and checked field by field against
// propane itself: the args go through `propane config`, and the ports, probe
// paths, grace period and metrics endpoint must agree with what it serves.

const DIR = join(ROOT, 'deploy/kubernetes');

/* Manifests are plain data; these are the fields the checks read. */
interface Probe { httpGet: { path: string; port: string } }
interface Port { name: string; containerPort?: number; port?: number; targetPort?: string }
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: any;
  stringData?: Record<string, string>;
}

const manifests: Manifest[] = [];
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
    if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error(`${file}: ${[...doc.errors, ...doc.warnings].join('; ')}`);
    manifests.push(doc.toJS() as Manifest);
  }
}
const one = (kind: string, name?: string): Manifest => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
};
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const portOf = (name: string): number => (container.ports as Port[]).find((p) => p.name === name)!.containerPort!;

t.test('every manifest parses and names its kind', async (t) => {
  t.same(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort(), ['Deployment/propane', 'PodDisruptionBudget/propane', 'Secret/propane-config', 'Service/propane', 'Service/propane-metrics', 'ServiceMonitor/propane']);
  for (const m of manifests) t.match(m.apiVersion, /^(v1|apps\/v1|policy\/v1|monitoring\.coreos\.com\/v1)$/, `${m.kind} apiVersion`);
});

t.test("propane accepts the container's args and config, and they agree with the ports", async (t) => {
  const args = container.args as string[];
  t.same(container.command, ['propane']);
  t.same(args.slice(0, 2), ['start', '/srv/app/app.js']);
  t.equal(args[args.indexOf('--workers') + 1], '$(CPU_LIMIT)', '--workers follows the CPU limit');
  const cpuLimit = (container.env as Array<{ name: string; valueFrom: { resourceFieldRef: Record<string, string> } }>).find((e) => e.name === 'CPU_LIMIT')!;
  t.same(cpuLimit.valueFrom.resourceFieldRef, { containerName: container.name, resource: 'limits.cpu', divisor: '1' });
  t.match(container.resources.limits.cpu, /^\d+$/, 'a whole number of CPUs: one worker each');

  const configFile = tempFile(t, 'propane.json', one('Secret', 'propane-config').stringData!['propane.json']!);
  const config = await configOfStartArgs(args.map((a) => (a === '$(CPU_LIMIT)' ? container.resources.limits.cpu : a)), configFile);
  t.equal(config.workers, Number(container.resources.limits.cpu));
  t.equal(config.host, '0.0.0.0');
  t.equal(config.port, portOf('http'), 'the http port is the one propane listens on');
  t.equal(config.status.host, '0.0.0.0', 'Prometheus scrapes from another pod');
  t.equal(config.status.port, portOf('status'), 'the status port is the TCP status listener');
  t.equal(config.security.statusReadsRequireToken, false, 'GET /metrics needs no token');
  const runMount = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find((v) => v.name === 'run')!;
  t.equal(config.status.socket, `${runMount.mountPath}/propane.sock`, 'the status socket is on a writable volume');
  t.equal(container.securityContext.readOnlyRootFilesystem, true);
  t.ok((pod.volumes as Array<{ name: string; emptyDir?: unknown }>).find((v) => v.name === 'run')?.emptyDir, 'an emptyDir');

  // Measured memory (the comment above resources): supervisor 75 MB, 88 MB per worker at its peak.
  const mi = Number(/^(\d+)Mi$/.exec(container.resources.requests.memory)?.[1]);
  t.ok(mi * 1.048576 >= 75 + 88 * config.workers, `${container.resources.requests.memory} holds the supervisor and ${config.workers} workers`);
  t.equal(container.resources.limits.memory, container.resources.requests.memory);

  const grace = config.propane.gracefulShutdownSeconds;
  t.equal(grace, 10);
  const preStop = container.lifecycle.preStop.sleep.seconds as number;
  t.equal(pod.terminationGracePeriodSeconds, preStop + stopBudgetSeconds(grace) + 3, 'terminationGracePeriodSeconds = preStop + the longest graceful stop + 3 s slack, as its comment says');
});

t.test('the probes ask the worker endpoints on the http port', async (t) => {
  const probes = { startupProbe: '/livez', livenessProbe: '/livez', readinessProbe: '/readyz' } as const;
  for (const [probe, path] of Object.entries(probes)) t.same((container[probe] as Probe).httpGet, { path, port: 'http' }, `${probe} GET ${path}`);
  const startup = container.startupProbe as { periodSeconds: number; failureThreshold: number };
  t.ok(startup.periodSeconds * startup.failureThreshold >= 30, 'the startup probe waits at least readyTimeoutSeconds (30)');
});

t.test('the Services, the disruption budget and the ServiceMonitor select the pods and the status port', async (t) => {
  const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
  t.ok(matches(deployment.spec.selector.matchLabels, podLabels));
  const app = one('Service', 'propane');
  t.ok(matches(app.spec.selector, podLabels));
  t.same((app.spec.ports as Port[]).map((p) => p.targetPort), ['http'], 'the app Service carries no status port');
  const metrics = one('Service', 'propane-metrics');
  t.ok(matches(metrics.spec.selector, podLabels));
  t.same((metrics.spec.ports as Port[]).map((p) => [p.name, p.targetPort]), [['status', 'status']]);

  const pdb = one('PodDisruptionBudget');
  t.ok(matches(pdb.spec.selector.matchLabels, podLabels));
  t.ok(pdb.spec.maxUnavailable < deployment.spec.replicas);

  const monitor = one('ServiceMonitor');
  t.ok(matches(monitor.spec.selector.matchLabels, metrics.metadata.labels), 'it selects the metrics Service');
  t.notOk(matches(monitor.spec.selector.matchLabels, app.metadata.labels), 'and not the app Service');
  t.same(monitor.spec.endpoints, [{ port: 'status', path: '/metrics', interval: '15s' }]);
  t.equal(metrics.metadata.labels![monitor.spec.jobLabel], 'propane', 'job="propane", as deploy/prometheus/alerts.yml expects');
});
