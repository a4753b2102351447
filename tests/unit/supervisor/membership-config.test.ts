import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Config } from '../../../contracts/config.js';
import { findRisks, redactUserinfo } from '../../../shared/config/risks.js';
import { grpcHost } from '../../../supervisor/membership/etcd-client.js';

const dir = mkdtempSync(join(tmpdir(), 'propane-i9-unit-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pem = join(dir, 'ca.pem');
writeFileSync(pem, 'not checked here');

function config(etcd: Record<string, unknown>, enabled = true): Config {
  return Config.parse({ workers: 1, cluster: { enabled, nodeId: 'n', observedNodes: 1, emitHeaders: enabled, membership: { source: 'etcd', etcd } } });
}

for (const c of [
  { name: 'accepts plain http endpoints', etcd: { endpoints: ['http://127.0.0.1:2379', 'http://10.0.0.2:2379'] }, codes: [] },
  { name: 'accepts https endpoints with a CA file', etcd: { endpoints: ['https://etcd-1:2379'], tls: { caFile: pem } }, codes: [] },
  { name: 'refuses an empty endpoint list', etcd: { endpoints: [] }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses a path in an endpoint', etcd: { endpoints: ['http://127.0.0.1:2379/v3'] }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses credentials in an endpoint', etcd: { endpoints: ['http://root:pw@127.0.0.1:2379'] }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses a mix of http and https', etcd: { endpoints: ['http://a:2379', 'https://b:2379'], tls: { caFile: pem } }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses TLS files with http endpoints', etcd: { endpoints: ['http://a:2379'], tls: { caFile: pem } }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses a TLS file that does not exist', etcd: { endpoints: ['https://a:2379'], tls: { caFile: join(dir, 'missing.pem') } }, codes: ['PROPANE_ERR_CONFIG_FILE'] },
  { name: 'refuses a certFile without its keyFile', etcd: { endpoints: ['https://a:2379'], tls: { certFile: pem } }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
  { name: 'refuses a username without a password', etcd: { endpoints: ['http://a:2379'], username: 'root' }, codes: ['PROPANE_ERR_CONFIG_RISKY'] },
]) {
  t.test(`etcd config ${c.name}`, async (t) => t.same(findRisks(config(c.etcd)).map((e) => e.code), c.codes));
}

t.test('etcd needs cluster.enabled', async (t) => {
  t.same(findRisks(config({ endpoints: ['http://a:2379'] }, false)).map((e) => e.message.split(' ')[0]), ['cluster.membership.source']);
});

t.test('no risk message carries the password of an endpoint URL', async (t) => {
  const messages = findRisks(config({ endpoints: ['http://root:s3cret@a:2379', 'https://b:2379'] })).map((e) => e.message).join('\n');
  t.notMatch(messages, /s3cret/);
  t.match(messages, /http:\/\/<redacted>@a:2379/);
});

for (const c of [
  { in: 'http://root:pw@a:2379', out: 'http://<redacted>@a:2379' },
  { in: '"root:pw@a:2379"', out: '"<redacted>@a:2379"' },
  { in: 'http://a:2379', out: 'http://a:2379' },
]) {
  t.test(`redactUserinfo ${c.in}`, async (t) => t.equal(redactUserinfo(c.in), c.out));
}

for (const c of [
  { in: 'http://127.0.0.1:2379', out: 'http://127.0.0.1:2379' },
  { in: 'http://etcd-1', out: 'http://etcd-1:2379' },
  { in: 'https://[::1]', out: 'https://[::1]:2379' },
]) {
  t.test(`grpcHost gives grpc etcd's port when the URL has none: ${c.in}`, async (t) => t.equal(grpcHost(c.in), c.out));
}
