import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';
import { tempSocketPath } from '../helpers/temp.js';

const TOKEN = 'test-token-0123456789abcdef';

t.test('each profile is a preset of the security settings', async (t) => {
  const rows = [
    { profile: 'balanced', security: { trustedProxy: false, securityHeaders: false, clusterzRequiresToken: false, statusReadsRequireToken: false } },
    { profile: 'strict', security: { trustedProxy: false, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: true } },
    { profile: 'edge', security: { trustedProxy: true, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: false } },
  ];
  for (const c of rows) {
    const out = await runCli(['config', '--json'], { config: { securityProfile: c.profile, status: { token: TOKEN } } });
    t.equal(out.code, 0, `${c.profile}: ${out.stderr}`);
    const config = JSON.parse(out.stdout);
    t.equal(config.securityProfile, c.profile);
    t.same(config.security, c.security, `${c.profile} preset`);
    t.equal(config.status.token, '<redacted>', 'the token is never printed');
  }
  const overridden = await runCli(['config', '--json'], { config: { securityProfile: 'edge', status: { token: TOKEN }, security: { securityHeaders: false } } });
  t.equal(JSON.parse(overridden.stdout).security.securityHeaders, false, 'the config file overrides a preset key');
});

t.test('ARLEN_SECURITY_PROFILE and its MOJOOBJC_ fallback choose the profile', async (t) => {
  const rows: Array<{ env: Record<string, string>; want: string }> = [
    { env: { ARLEN_SECURITY_PROFILE: 'edge' }, want: 'edge' },
    { env: { MOJOOBJC_SECURITY_PROFILE: 'strict' }, want: 'strict' },
    { env: { ARLEN_SECURITY_PROFILE: 'edge', MOJOOBJC_SECURITY_PROFILE: 'strict' }, want: 'edge' },
  ];
  for (const c of rows) {
    const out = await runCli(['config', '--json'], { config: { status: { token: TOKEN } }, env: c.env });
    t.equal(out.code, 0, out.stderr);
    const config = JSON.parse(out.stdout);
    t.equal(config.securityProfile, c.want, JSON.stringify(c.env));
    t.equal(config.security.clusterzRequiresToken, true, 'with its preset');
  }
  const bad = await runCli(['config', '--json'], { env: { ARLEN_SECURITY_PROFILE: 'paranoid' } });
  t.equal(bad.code, 2, 'an unknown profile is a configuration error');
  t.match(bad.stderr, /securityProfile/);
});

t.test('risky combinations fail fast with exit 2 at propane config and at propane start', async (t) => {
  const rows: Array<{ name: string; config: Record<string, unknown>; args?: string[]; env?: Record<string, string>; mentions: RegExp }> = [
    { name: 'a TCP status listener beyond loopback without a token', config: { status: { port: 9, host: '0.0.0.0' } }, mentions: /status\.host "0\.0\.0\.0".*status\.token/ },
    { name: 'strict without status.token', config: {}, args: ['--security-profile', 'strict'], mentions: /status\.token/ },
    { name: 'edge without status.token', config: {}, env: { ARLEN_SECURITY_PROFILE: 'edge' }, mentions: /clusterzRequiresToken.*status\.token/ },
    { name: 'strict with a TCP status listener and no token', config: { securityProfile: 'strict', security: { clusterzRequiresToken: false }, status: { port: 9 } }, mentions: /strict requires status\.token for the TCP status listener/ },
    { name: '/clusterz protected without a token', config: { security: { clusterzRequiresToken: true } }, mentions: /security\.clusterzRequiresToken/ },
    { name: 'trusting proxy headers under strict', config: { securityProfile: 'strict', status: { token: TOKEN }, security: { trustedProxy: true } }, mentions: /security\.trustedProxy/ },
  ];
  for (const c of rows) {
    const checked = await runCli(['config', ...(c.args ?? [])], { config: c.config, env: c.env, timeoutMs: 20_000 });
    t.equal(checked.code, 2, `propane config: ${c.name}`);
    t.match(checked.stderr, /PROPANE_ERR_CONFIG_RISKY/, `${c.name}: the error code`);
    t.match(checked.stderr, c.mentions, `${c.name}: names the keys`);
    t.match(checked.stderr, /Fix: /, `${c.name}: says how to fix it`);
    const started = await runCli(['start', '--port', '0', '--status-socket', tempSocketPath(), ...(c.args ?? [])], { config: c.config, env: c.env, timeoutMs: 20_000 });
    t.equal(started.code, 2, `propane start: ${c.name}`);
    t.match(started.stderr, /PROPANE_ERR_CONFIG_RISKY/);
  }
});

t.test('balanced adds no security headers and leaves /clusterz open', async (t) => {
  const node = await startPropane(t, { workers: 1 });
  const res = await httpGet(node.port, '/');
  t.equal(res.headers['x-content-type-options'], undefined);
  t.equal(res.headers['x-frame-options'], undefined);
  t.equal((await httpGet(node.port, '/clusterz')).status, 200);
});

t.test('strict adds security headers and protects /clusterz with status.token', async (t) => {
  const node = await startPropane(t, { workers: 1, config: { securityProfile: 'strict', status: { token: TOKEN } } });
  for (const path of ['/', '/nope', '/healthz']) {
    const res = await httpGet(node.port, path);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${path}: nosniff`);
    t.equal(res.headers['x-frame-options'], 'DENY', `${path}: frames denied`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${path}: no referrer`);
  }
  const anonymous = await httpGet(node.port, '/clusterz');
  t.equal(anonymous.status, 401);
  t.equal(anonymous.headers['www-authenticate'], 'Bearer');
  t.equal((await httpGet(node.port, '/clusterz', { headers: { Authorization: 'Bearer wrong-token-0123456789ab' } })).status, 401, 'a wrong token');
  t.equal((await httpGet(node.port, '/clusterz', { headers: { Authorization: `Basic ${TOKEN}` } })).status, 401, 'another scheme');
  const authorized = await httpGet(node.port, '/clusterz', { headers: { Authorization: `Bearer ${TOKEN}` } });
  t.equal(authorized.status, 200);
  t.equal(JSON.parse(authorized.body).coordination.membership_source, 'static_config');
  t.equal((await httpGet(node.port, '/readyz')).status, 200, 'probes stay open');
});
