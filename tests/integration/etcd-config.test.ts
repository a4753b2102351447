import { dirname } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { tempFile, tempSocketPath } from '../helpers/temp.js';

/** Bad etcd membership input: `propane config` and `propane start` both exit 2 naming the key, the value and the fix. No etcd needed. */
const etcdCluster = (membership: Record<string, unknown>) => ({ cluster: { enabled: true, membership: { source: 'etcd', ...membership } } });

const cases = [
  { name: 'an endpoint that is not a URL', config: etcdCluster({ etcd: { endpoints: ['127.0.0.1:2379'] } }), want: /cluster\.membership\.etcd\.endpoints\.0 .*got "127\.0\.0\.1:2379".*Fix: /, code: 'PROPANE_ERR_CONFIG_INVALID' },
  { name: 'an endpoint with a path', config: etcdCluster({ etcd: { endpoints: ['http://127.0.0.1:2379/v3'] } }), want: /cluster\.membership\.etcd\.endpoints\.0 .*got "http:\/\/127\.0\.0\.1:2379\/v3".*Fix: use "http:\/\/127\.0\.0\.1:2379"/, code: 'PROPANE_ERR_CONFIG_RISKY' },
  { name: 'an empty endpoint list with source etcd', config: etcdCluster({ etcd: { endpoints: [] } }), want: /cluster\.membership\.etcd\.endpoints is empty.*Fix: list the etcd endpoints/, code: 'PROPANE_ERR_CONFIG_RISKY' },
  { name: 'leaseSeconds below 2', config: etcdCluster({ leaseSeconds: 1, etcd: { endpoints: ['http://127.0.0.1:2379'] } }), want: /cluster\.membership\.leaseSeconds must be an integer >= 2; got 1 .*Fix: /, code: 'PROPANE_ERR_CONFIG_OUT_OF_RANGE' },
  { name: 'leaseSeconds above 60', config: etcdCluster({ leaseSeconds: 61, etcd: { endpoints: ['http://127.0.0.1:2379'] } }), want: /cluster\.membership\.leaseSeconds must be an integer <= 60; got 61 .*Fix: /, code: 'PROPANE_ERR_CONFIG_OUT_OF_RANGE' },
  { name: 'a TLS file that does not exist', config: etcdCluster({ etcd: { endpoints: ['https://127.0.0.1:2379'], tls: { caFile: '/nonexistent/propane-ca.pem' } } }), want: /cluster\.membership\.etcd\.tls\.caFile .*got "\/nonexistent\/propane-ca\.pem".*Fix: /, code: 'PROPANE_ERR_CONFIG_FILE' },
  { name: 'source etcd without cluster.enabled', config: { cluster: { membership: { source: 'etcd', etcd: { endpoints: ['http://127.0.0.1:2379'] } } } }, want: /cluster\.enabled is false.*Fix: /, code: 'PROPANE_ERR_CONFIG_RISKY' },
  { name: 'a password without a username', config: etcdCluster({ etcd: { endpoints: ['http://127.0.0.1:2379'], password: 'hunter2-secret' } }), want: /cluster\.membership\.etcd\.username is missing.*Fix: /, code: 'PROPANE_ERR_CONFIG_RISKY' },
];

for (const c of cases) {
  t.test(`${c.name}: propane config and propane start exit 2 naming key, value and fix`, async (t) => {
    for (const args of [['config'], ['start', '--port', '0', '--workers', '1', '--status-socket', tempSocketPath()]]) {
      const r = await runCli(args, { config: c.config, timeoutMs: 15_000 });
      t.equal(r.code, 2, `${args[0]} exits 2`);
      t.match(r.stderr, new RegExp(`propane: ${c.code} `), `${args[0]} names the code`);
      t.match(r.stderr, c.want, `${args[0]} names the key, the value and the fix`);
      t.notMatch(r.stderr + r.stdout, /hunter2-secret/, 'the password is never printed');
    }
  });
}

t.test('propane config shows the etcd password as "<redacted>", from a file or from ARLEN_CLUSTER_ETCD_PASSWORD', async (t) => {
  // The file stays in the working directory of the runs below, which must not print its password either.
  const file = tempFile(t, 'propane.json', JSON.stringify(etcdCluster({ etcd: { endpoints: ['http://127.0.0.1:2379'], username: 'root', password: 'hunter2-secret' } })));
  const dir = dirname(file);
  const fromFile = await runCli(['config', '--config', file, '--json'], { cwd: dir });
  t.equal(fromFile.code, 0, fromFile.stderr);
  t.equal((JSON.parse(fromFile.stdout) as { cluster: { membership: { etcd: { password: string } } } }).cluster.membership.etcd.password, '<redacted>');
  t.notMatch(fromFile.stdout + fromFile.stderr, /hunter2-secret/);

  const env = { ARLEN_CLUSTER_ENABLED: 'true', ARLEN_CLUSTER_MEMBERSHIP_SOURCE: 'etcd', ARLEN_CLUSTER_ETCD_ENDPOINTS: 'http://127.0.0.1:2379,http://127.0.0.2:2379', ARLEN_CLUSTER_ETCD_USERNAME: 'root', ARLEN_CLUSTER_ETCD_PASSWORD: 'hunter2-secret' };
  const fromEnv = await runCli(['config'], { cwd: dir, env });
  t.equal(fromEnv.code, 0, fromEnv.stderr);
  t.match(fromEnv.stdout, /"password": "<redacted>"/);
  t.match(fromEnv.stdout, /"endpoints": \[\s*"http:\/\/127\.0\.0\.1:2379",\s*"http:\/\/127\.0\.0\.2:2379"\s*\]/, 'the endpoint list is comma-separated in the environment');
  t.notMatch(fromEnv.stdout + fromEnv.stderr, /hunter2-secret/);

  const badType = await runCli(['config'], { cwd: dir, env: { ...env, ARLEN_CLUSTER_ETCD_PASSWORD: '' } });
  t.equal(badType.code, 2);
  t.match(badType.stderr, /cluster\.membership\.etcd\.password .*got "<redacted>" from ARLEN_CLUSTER_ETCD_PASSWORD/);
});
