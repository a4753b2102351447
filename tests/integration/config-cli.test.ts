import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { tempDir, tempSocketPath } from '../helpers/temp.js';

const dir = tempDir(t);

function configFile(name: string, body: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
}

async function configJson(args: string[], env: Record<string, string> = {}): Promise<Record<string, any>> {
  const r = await runCli(['config', '--json', ...args], { env, cwd: dir });
  if (r.code !== 0) throw new Error(`propane config exited ${String(r.code)}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, any>;
}

t.test('propane config --json prints every default, integers as integers', async (t) => {
  const r = await runCli(['config', '--json'], { cwd: dir });
  t.equal(r.code, 0);
  t.equal(r.stdout.trim().split('\n').length, 1, 'one JSON document on one line');
  for (const literal of ['"port":3000', '"maxConcurrentHTTPSessions":256', '"maxConcurrentWebSocketSessions":256', '"maxPayloadBytes":16777216', '"respawnDelayMs":250', '"gracefulShutdownSeconds":10', '"leaseSeconds":5', '"maxWorkerMemoryMB":0', '"expectedNodes":1']) {
    t.ok(r.stdout.includes(literal), `${literal} as an integer literal`);
  }
  const c = JSON.parse(r.stdout) as Record<string, any>;
  t.ok(Number.isInteger(c.workers) && c.workers >= 1, 'workers defaults to the CPU count');
  t.same(c.timeouts, { headerSeconds: 10, bodySeconds: 30, idleSeconds: 5, writeSeconds: 30, handshakeSeconds: 10 });
  t.same(c.propane.crashLoop, { maxRestarts: 5, windowSeconds: 60, maxBackoffSeconds: 30, stableSeconds: 30 });
  t.match(c.propane, { reloadOverlapSeconds: 1, readyTimeoutSeconds: 30, workerTimeoutSeconds: 30 });
  t.same(c.websocket, { maxPayloadBytes: 16777216, pingIntervalSeconds: 30, pongTimeoutSeconds: 10 });
  t.match(c.cluster, { enabled: false, name: 'default', expectedNodes: 1, observedNodes: 1, emitHeaders: false, membership: { source: 'static', leaseSeconds: 5, etcd: { endpoints: [], prefix: '/propane/' } } });
  t.same(c.observability, { readinessRequiresClusterQuorum: false, tracePropagationEnabled: true, responseIdentityHeadersEnabled: true });
  t.equal(c.securityProfile, 'balanced');
  t.same(c.status, { socket: './propane.sock', host: '127.0.0.1', port: null, token: null });
});

t.test('precedence: defaults < profile preset < file < environment < flags, each layer proven', async (t) => {
  const token = { status: { token: 'sixteen-chars-token!' } };
  t.equal((await configJson([])).security.trustedProxy, false, 'default');
  t.equal((await configJson(['--security-profile', 'edge', '--config', configFile('p1.json', token)])).security.trustedProxy, true, 'the edge preset beats the default');
  const fileOverridesPreset = configFile('p2.json', { ...token, securityProfile: 'edge', security: { trustedProxy: false } });
  t.equal((await configJson(['--config', fileOverridesPreset])).security.trustedProxy, false, 'the file beats the preset');
  const file = configFile('p3.json', { port: 4000, runtimeLimits: { maxConcurrentHTTPSessions: 100 } });
  t.equal((await configJson(['--config', file])).port, 4000, 'the file beats the default');
  t.equal((await configJson(['--config', file], { ARLEN_PORT: '5000' })).port, 5000, 'the environment beats the file');
  const all = await configJson(['--config', file, '--port', '6000'], { ARLEN_PORT: '5000' });
  t.equal(all.port, 6000, 'a flag beats the environment');
  t.equal(all.runtimeLimits.maxConcurrentHTTPSessions, 100, 'keys no higher layer sets keep the file value');
});

t.test('ARLEN_* variables set their keys; MOJOOBJC_* legacy names are read when ARLEN_* is unset; ARLEN_* wins', async (t) => {
  const legacy = await configJson([], { MOJOOBJC_MAX_HTTP_SESSIONS: '20', MOJOOBJC_MAX_WEBSOCKET_SESSIONS: '21', MOJOOBJC_CLUSTER_EXPECTED_NODES: '3', MOJOOBJC_READINESS_REQUIRES_CLUSTER_QUORUM: 'true', MOJOOBJC_SECURITY_PROFILE: 'balanced' });
  t.same(legacy.runtimeLimits, { maxConcurrentHTTPSessions: 20, maxConcurrentWebSocketSessions: 21 });
  t.equal(legacy.cluster.expectedNodes, 3);
  t.equal(legacy.observability.readinessRequiresClusterQuorum, true);
  const both = await configJson([], { ARLEN_MAX_HTTP_SESSIONS: '10', MOJOOBJC_MAX_HTTP_SESSIONS: '20', ARLEN_CLUSTER_OBSERVED_NODES: '0', MOJOOBJC_CLUSTER_OBSERVED_NODES: '5' });
  t.equal(both.runtimeLimits.maxConcurrentHTTPSessions, 10);
  t.equal(both.cluster.observedNodes, 0);
  const arlen = await configJson([], { ARLEN_PROPANE_WORKERS: '3', ARLEN_HOST: '127.0.0.2', ARLEN_PORT: '3100', ARLEN_HEADER_TIMEOUT_SECONDS: '2', ARLEN_BODY_TIMEOUT_SECONDS: '3', ARLEN_IDLE_TIMEOUT_SECONDS: '4', ARLEN_WRITE_TIMEOUT_SECONDS: '6', ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_NAME: 'eu', ARLEN_CLUSTER_NODE_ID: 'n1', ARLEN_CLUSTER_EXPECTED_NODES: '2' });
  t.match(arlen, { workers: 3, host: '127.0.0.2', port: 3100, timeouts: { headerSeconds: 2, bodySeconds: 3, idleSeconds: 4, writeSeconds: 6 }, cluster: { enabled: true, name: 'eu', nodeId: 'n1', expectedNodes: 2, observedNodes: 2, emitHeaders: true } });
});

t.test('cluster.emitHeaders prints resolved: the value of cluster.enabled unless set, an explicit value from the file or ARLEN_CLUSTER_EMIT_HEADERS winning', async (t) => {
  t.equal((await configJson([])).cluster.emitHeaders, false, 'a single node');
  t.equal((await configJson([], { ARLEN_CLUSTER_ENABLED: 'true' })).cluster.emitHeaders, true, 'a cluster');
  const cluster = configFile('cluster.json', { cluster: { enabled: true } });
  t.equal((await configJson(['--config', cluster], { ARLEN_CLUSTER_EMIT_HEADERS: 'false' })).cluster.emitHeaders, false, 'the environment beats the follow-the-cluster default');
  const off = configFile('off.json', { cluster: { enabled: true, emitHeaders: false } });
  t.equal((await configJson(['--config', off])).cluster.emitHeaders, false, 'so does the file');
  const on = configFile('on.json', { cluster: { emitHeaders: true } });
  t.equal((await configJson(['--config', on])).cluster.emitHeaders, true, 'a single node can turn them on');
  const flags = await configJson([], { ARLEN_TRACE_PROPAGATION_ENABLED: 'false', MOJOOBJC_RESPONSE_IDENTITY_HEADERS_ENABLED: 'off' });
  t.same(flags.observability, { readinessRequiresClusterQuorum: false, tracePropagationEnabled: false, responseIdentityHeadersEnabled: false }, 'the observability switches from the environment, legacy name included');
});

t.test('an unknown key exits 2 and says did you mean', async (t) => {
  const file = configFile('typo.json', { runtimeLimits: { maxConcurentHTTPSessions: 3 } });
  const r = await runCli(['config', '--config', file], { cwd: dir });
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.equal(r.stderr, `propane: PROPANE_ERR_CONFIG_UNKNOWN_KEY runtimeLimits.maxConcurentHTTPSessions is not a config key (from config file ${file}); did you mean maxConcurrentHTTPSessions? Fix: rename it to runtimeLimits.maxConcurrentHTTPSessions.\n`);
});

t.test('ARLEN_MAX_HTTP_SESSIONS=lots exits 2 naming the variable, never a silent default', async (t) => {
  const r = await runCli(['config', '--json'], { cwd: dir, env: { ARLEN_MAX_HTTP_SESSIONS: 'lots' } });
  t.equal(r.code, 2);
  t.equal(r.stderr, 'propane: PROPANE_ERR_CONFIG_TYPE runtimeLimits.maxConcurrentHTTPSessions must be an integer; got "lots" from ARLEN_MAX_HTTP_SESSIONS. Fix: give a whole number, e.g. 256.\n');
  t.same(JSON.parse(r.stdout), { ok: false, errors: [{ code: 'PROPANE_ERR_CONFIG_TYPE', message: 'runtimeLimits.maxConcurrentHTTPSessions must be an integer; got "lots" from ARLEN_MAX_HTTP_SESSIONS. Fix: give a whole number, e.g. 256.' }] });
});

t.test('an out-of-range value names the key, the value, its source and the fix', async (t) => {
  for (const [args, env, line] of [
    [['--max-http-sessions', '0'], {}, 'propane: PROPANE_ERR_CONFIG_OUT_OF_RANGE runtimeLimits.maxConcurrentHTTPSessions must be an integer >= 1; got 0 from --max-http-sessions. Fix: set it >= 1, e.g. 256.'],
    [[], { ARLEN_PORT: '70000' }, 'propane: PROPANE_ERR_CONFIG_OUT_OF_RANGE port must be an integer <= 65535; got 70000 from ARLEN_PORT. Fix: set it <= 65535, e.g. 3000.'],
    [['--config', configFile('range.json', { cluster: { membership: { leaseSeconds: 90 } } })], {}, `propane: PROPANE_ERR_CONFIG_OUT_OF_RANGE cluster.membership.leaseSeconds must be an integer <= 60; got 90 from config file ${join(dir, 'range.json')}. Fix: set it <= 60, e.g. 5.`],
  ] as const) {
    const r = await runCli(['config', ...args], { cwd: dir, env });
    t.equal(r.code, 2);
    t.equal(r.stderr.trim(), line);
  }
});

t.test('every problem is listed, one line each, from every layer', async (t) => {
  const file = configFile('many.json', { port: -1, timeouts: { idleSeconds: 'five' }, websocket: { pingIntervalSecond: 3 } });
  const r = await runCli(['config', '--config', file, '--workers', 'many'], { cwd: dir, env: { ARLEN_MAX_WEBSOCKET_SESSIONS: '1.5' } });
  t.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 5, r.stderr);
  for (const re of [/ARLEN_MAX_WEBSOCKET_SESSIONS/, /--workers/, /^propane: PROPANE_ERR_CONFIG_OUT_OF_RANGE port /, /timeouts\.idleSeconds/, /did you mean pingIntervalSeconds/]) {
    t.ok(lines.some((l) => re.test(l)), String(re));
  }
});

t.test('propane start with a bad config exits 2, forks nothing and creates no status socket', async (t) => {
  const socket = tempSocketPath();
  const r = await runCli(['start', '--workers', '2', '--port', '0', '--status-socket', socket], { cwd: dir, env: { ARLEN_MAX_HTTP_SESSIONS: 'lots' } });
  t.equal(r.code, 2);
  t.match(r.stderr, /PROPANE_ERR_CONFIG_TYPE .*ARLEN_MAX_HTTP_SESSIONS/);
  t.notMatch(r.stdout, /worker_forked|supervisor_started/);
  t.notOk(existsSync(socket));
});

t.test('passwords and tokens print as <redacted>, with and without --json', async (t) => {
  const secret = 'hunter2-very-secret';
  const file = configFile('secret.json', { status: { token: 'status-token-0123456789' } });
  for (const json of [true, false]) {
    const r = await runCli(['config', '--config', file, ...(json ? ['--json'] : [])], { cwd: dir, env: { ARLEN_CLUSTER_ETCD_PASSWORD: secret } });
    t.equal(r.code, 0);
    t.notMatch(r.stdout, /hunter2|status-token-0123456789/);
    const c = JSON.parse(r.stdout) as Record<string, any>;
    t.equal(c.status.token, '<redacted>');
    t.equal(c.cluster.membership.etcd.password, '<redacted>');
  }
});

t.test('propane config without --json prints the normalised config too, and says it is OK', async (t) => {
  const r = await runCli(['config', '--port', '3999'], { cwd: dir });
  t.equal(r.code, 0);
  t.ok(r.stdout.split('\n').length > 10, 'pretty-printed');
  t.equal((JSON.parse(r.stdout) as { port: number }).port, 3999);
  t.match(r.stderr, /^propane: config OK/);
});

t.test('./propane.json in the working directory is read without --config', async (t) => {
  const cwd = tempDir(t);
  writeFileSync(join(cwd, 'propane.json'), JSON.stringify({ port: 4444 }));
  const r = await runCli(['config', '--json'], { cwd });
  t.equal((JSON.parse(r.stdout) as { port: number }).port, 4444);
});
