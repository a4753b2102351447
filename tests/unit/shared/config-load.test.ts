import { writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../../shared/config/load.js';
import { ConfigErrors } from '../../../shared/errors.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir(t);
const TOKEN = 'a-status-token-of-32-characters!';

function load(opts: { file?: Record<string, unknown>; env?: Record<string, string | undefined>; flags?: Record<string, unknown> } = {}) {
  let configFile: string | undefined;
  if (opts.file) {
    configFile = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(configFile, JSON.stringify(opts.file));
  }
  return loadConfig({ cwd: dir, env: opts.env ?? {}, flags: opts.flags ?? {}, configFile }).config;
}

function problems(opts: Parameters<typeof load>[0]): string[] {
  try {
    load(opts);
  } catch (err) {
    if (err instanceof ConfigErrors) return err.errors.map((e) => `${e.code} ${e.message}`);
    throw err;
  }
  return [];
}

t.test('every config key has its documented default', async (t) => {
  const c = load();
  t.equal(c.workers, availableParallelism());
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 3000);
  t.same(c.runtimeLimits, { maxConcurrentHTTPSessions: 256, maxConcurrentWebSocketSessions: 256 });
  t.same(c.timeouts, { headerSeconds: 10, bodySeconds: 30, idleSeconds: 5, writeSeconds: 30, handshakeSeconds: 10 });
  t.same(c.websocket, { maxPayloadBytes: 16 * 1024 * 1024, pingIntervalSeconds: 30, pongTimeoutSeconds: 10 });
  t.match(c.propane, { gracefulShutdownSeconds: 10, respawnDelayMs: 250, reloadOverlapSeconds: 1, readyTimeoutSeconds: 30, workerTimeoutSeconds: 30, maxWorkerMemoryMB: 0 });
  t.same(c.propane.crashLoop, { maxRestarts: 5, windowSeconds: 60, maxBackoffSeconds: 30, stableSeconds: 30 });
  t.match(c.cluster, { enabled: false, name: 'default', nodeId: hostname(), expectedNodes: 1, observedNodes: 1, emitHeaders: false });
  t.same(c.cluster.membership, { source: 'static', leaseSeconds: 5, etcd: { endpoints: [], prefix: '/propane/' } });
  t.same(c.observability, { readinessRequiresClusterQuorum: false, tracePropagationEnabled: true, responseIdentityHeadersEnabled: true });
  t.equal(c.securityProfile, 'balanced');
  t.same(c.status, { socket: './propane.sock', host: '127.0.0.1', port: null, token: null });
  t.same(c.tls, { requestClientCert: false, minVersion: 'TLSv1.2' }, 'TLS off, and TLSv1.2 at least once on');
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.runtimeLimits), 'the result is deep-frozen');
});

// Each row proves one layer beats the one below it, on the same key.
for (const c of [
  { name: 'the profile preset beats the defaults', in: { flags: { securityProfile: 'edge' }, file: { status: { token: TOKEN } } }, get: (x: ReturnType<typeof load>) => x.security.trustedProxy, want: true },
  { name: 'the file beats the profile preset', in: { file: { securityProfile: 'edge', status: { token: TOKEN }, security: { trustedProxy: false } } }, get: (x: ReturnType<typeof load>) => x.security.trustedProxy, want: false },
  { name: 'the environment beats the file', in: { file: { port: 4000 }, env: { ARLEN_PORT: '5000' } }, get: (x: ReturnType<typeof load>) => x.port, want: 5000 },
  { name: 'a flag beats the environment', in: { file: { port: 4000 }, env: { ARLEN_PORT: '5000' }, flags: { port: '6000' } }, get: (x: ReturnType<typeof load>) => x.port, want: 6000 },
  { name: 'the file beats the defaults', in: { file: { timeouts: { idleSeconds: 2 } } }, get: (x: ReturnType<typeof load>) => x.timeouts.idleSeconds, want: 2 },
  { name: 'a profile named by env picks the preset under the file', in: { env: { ARLEN_SECURITY_PROFILE: 'strict' }, file: { status: { token: TOKEN } } }, get: (x: ReturnType<typeof load>) => x.security.securityHeaders, want: true },
  { name: 'ARLEN_ beats its MOJOOBJC_ legacy name', in: { env: { ARLEN_MAX_HTTP_SESSIONS: '10', MOJOOBJC_MAX_HTTP_SESSIONS: '20' } }, get: (x: ReturnType<typeof load>) => x.runtimeLimits.maxConcurrentHTTPSessions, want: 10 },
  { name: 'the MOJOOBJC_ legacy name is read when ARLEN_ is unset', in: { env: { MOJOOBJC_MAX_HTTP_SESSIONS: '20' } }, get: (x: ReturnType<typeof load>) => x.runtimeLimits.maxConcurrentHTTPSessions, want: 20 },
  { name: 'legacy MOJOOBJC_MAX_WEBSOCKET_SESSIONS', in: { env: { MOJOOBJC_MAX_WEBSOCKET_SESSIONS: '7' } }, get: (x: ReturnType<typeof load>) => x.runtimeLimits.maxConcurrentWebSocketSessions, want: 7 },
  { name: 'legacy MOJOOBJC_CLUSTER_EXPECTED_NODES', in: { env: { MOJOOBJC_CLUSTER_EXPECTED_NODES: '3' } }, get: (x: ReturnType<typeof load>) => x.cluster.expectedNodes, want: 3 },
  { name: 'legacy MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM', in: { env: { MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM: 'true' } }, get: (x: ReturnType<typeof load>) => x.observability.readinessRequiresClusterQuorum, want: true },
  { name: 'ARLEN_PROPANE_WORKERS sets workers', in: { env: { ARLEN_PROPANE_WORKERS: '3' } }, get: (x: ReturnType<typeof load>) => x.workers, want: 3 },
  { name: 'ARLEN_HOST sets host', in: { env: { ARLEN_HOST: '127.0.0.2' } }, get: (x: ReturnType<typeof load>) => x.host, want: '127.0.0.2' },
  { name: 'ARLEN_HEADER_TIMEOUT_SECONDS takes a fraction', in: { env: { ARLEN_HEADER_TIMEOUT_SECONDS: '0.5' } }, get: (x: ReturnType<typeof load>) => x.timeouts.headerSeconds, want: 0.5 },
  { name: 'ARLEN_CLUSTER_ETCD_ENDPOINTS is comma-separated', in: { env: { ARLEN_CLUSTER_ETCD_ENDPOINTS: 'http://127.0.0.1:2379,http://127.0.0.1:2380' } }, get: (x: ReturnType<typeof load>) => x.cluster.membership.etcd.endpoints, want: ['http://127.0.0.1:2379', 'http://127.0.0.1:2380'] },
  { name: 'expectedNodes is clamped to at least 1', in: { file: { cluster: { expectedNodes: 0 } } }, get: (x: ReturnType<typeof load>) => x.cluster.expectedNodes, want: 1 },
  { name: 'observedNodes defaults to expectedNodes', in: { file: { cluster: { expectedNodes: 3 } } }, get: (x: ReturnType<typeof load>) => x.cluster.observedNodes, want: 3 },
  { name: 'observedNodes is clamped to at least 0', in: { env: { ARLEN_CLUSTER_OBSERVED_NODES: '-2' } }, get: (x: ReturnType<typeof load>) => x.cluster.observedNodes, want: 0 },
  { name: 'emitHeaders follows cluster.enabled when unset', in: { file: { cluster: { enabled: true } } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: true },
  { name: 'emitHeaders follows ARLEN_CLUSTER_ENABLED when unset', in: { env: { ARLEN_CLUSTER_ENABLED: 'true' } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: true },
  { name: 'an explicit emitHeaders true in the file beats a disabled cluster', in: { file: { cluster: { emitHeaders: true } } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: true },
  { name: 'an explicit emitHeaders false in the file beats an enabled cluster', in: { file: { cluster: { enabled: true, emitHeaders: false } } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: false },
  { name: 'ARLEN_CLUSTER_EMIT_HEADERS beats an enabled cluster', in: { file: { cluster: { enabled: true } }, env: { ARLEN_CLUSTER_EMIT_HEADERS: 'false' } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: false },
  { name: 'ARLEN_CLUSTER_EMIT_HEADERS beats the file', in: { file: { cluster: { emitHeaders: false } }, env: { ARLEN_CLUSTER_EMIT_HEADERS: 'true' } }, get: (x: ReturnType<typeof load>) => x.cluster.emitHeaders, want: true },
  { name: 'ARLEN_TRACE_PROPAGATION_ENABLED sets tracePropagationEnabled', in: { env: { ARLEN_TRACE_PROPAGATION_ENABLED: 'false' } }, get: (x: ReturnType<typeof load>) => x.observability.tracePropagationEnabled, want: false },
  { name: 'ARLEN_RESPONSE_IDENTITY_HEADERS_ENABLED sets responseIdentityHeadersEnabled', in: { env: { ARLEN_RESPONSE_IDENTITY_HEADERS_ENABLED: '0' } }, get: (x: ReturnType<typeof load>) => x.observability.responseIdentityHeadersEnabled, want: false },
  { name: 'the environment beats the file for responseIdentityHeadersEnabled', in: { file: { observability: { responseIdentityHeadersEnabled: false } }, env: { ARLEN_RESPONSE_IDENTITY_HEADERS_ENABLED: 'true' } }, get: (x: ReturnType<typeof load>) => x.observability.responseIdentityHeadersEnabled, want: true },
  { name: '--no-respawn sets propane.respawn false', in: { flags: { respawn: false } }, get: (x: ReturnType<typeof load>) => x.propane.respawn, want: false },
]) {
  t.test(`precedence: ${c.name}`, async (t) => t.same(c.get(load(c.in)), c.want));
}

for (const c of [
  { name: 'a word in an integer variable names the variable', in: { env: { ARLEN_MAX_HTTP_SESSIONS: 'lots' } }, want: [/^PROPANE_ERR_CONFIG_TYPE runtimeLimits\.maxConcurrentHTTPSessions must be an integer; got "lots" from ARLEN_MAX_HTTP_SESSIONS\. Fix: /] },
  { name: 'a bad legacy variable names the legacy variable', in: { env: { MOJOOBJC_MAX_HTTP_SESSIONS: 'x' } }, want: [/from MOJOOBJC_MAX_HTTP_SESSIONS/] },
  { name: 'an out-of-range env value names key, value, source and fix', in: { env: { ARLEN_MAX_HTTP_SESSIONS: '0' } }, want: [/^PROPANE_ERR_CONFIG_OUT_OF_RANGE runtimeLimits\.maxConcurrentHTTPSessions must be an integer >= 1; got 0 from ARLEN_MAX_HTTP_SESSIONS\. Fix: set it >= 1, e\.g\. 256\.$/] },
  { name: 'a typo in the file says did you mean', in: { file: { runtimeLimits: { maxConcurentHTTPSessions: 3 } } }, want: [/^PROPANE_ERR_CONFIG_UNKNOWN_KEY runtimeLimits\.maxConcurentHTTPSessions is not a config key .*did you mean maxConcurrentHTTPSessions\?/] },
  { name: 'every problem of every layer is listed', in: { file: { port: 70000 }, env: { ARLEN_IDLE_TIMEOUT_SECONDS: 'soon' }, flags: { workers: 'many' } }, want: [/idleSeconds .*ARLEN_IDLE_TIMEOUT_SECONDS/, /workers .*--workers/, /port .*70000/] },
  { name: 'a risky combination: strict without a status token', in: { flags: { securityProfile: 'strict' } }, want: [/^PROPANE_ERR_CONFIG_RISKY .*status\.token/] },
  { name: 'a bad security profile name', in: { env: { ARLEN_SECURITY_PROFILE: 'paranoid' } }, want: [/^PROPANE_ERR_CONFIG_INVALID securityProfile must be one of balanced, strict, edge; got "paranoid" from ARLEN_SECURITY_PROFILE/] },
]) {
  t.test(`refuses ${c.name}`, async (t) => {
    const found = problems(c.in);
    t.equal(found.length, c.want.length, found.join('\n'));
    for (const re of c.want) t.ok(found.some((f) => re.test(f)), `${String(re)} in\n${found.join('\n')}`);
  });
}

t.test('a config file that is not JSON, or not an object, is PROPANE_ERR_CONFIG_FILE', async (t) => {
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ port: 1 ');
  const arrayFile = join(dir, 'array.json');
  writeFileSync(arrayFile, '[1]');
  for (const [file, re] of [[notJson, /is not valid JSON/], [arrayFile, /must hold a JSON object; got an array/], [join(dir, 'missing.json'), /cannot be read \(ENOENT\)/]] as const) {
    const err = catchError(() => loadConfig({ cwd: dir, env: {}, flags: {}, configFile: file }));
    t.ok(err instanceof ConfigErrors && err.errors[0]!.code === 'PROPANE_ERR_CONFIG_FILE' && re.test(err.errors[0]!.message), String(err));
  }
});

t.test('./propane.json is read when it exists and --config is not given; app paths resolve against the file', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'propane.json'), JSON.stringify({ port: 4321, app: 'app.js' }));
  const { config, file } = loadConfig({ cwd, env: {}, flags: {} });
  t.equal(file, join(cwd, 'propane.json'));
  t.equal(config.port, 4321);
  t.equal(config.app, join(cwd, 'app.js'));
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
