import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { loadConfig } from '../../../shared/config/load.js';
import { isSecretKey, LOG_REDACT_PATHS, REDACTED, redactSecrets, withoutSupervisorSecrets } from '../../../shared/secrets.js';

const fromEnv = loadConfig({ cwd: tmpdir(), env: { ARLEN_CLUSTER_ETCD_PASSWORD: 'etcd-secret', ARLEN_CLUSTER_ETCD_USERNAME: 'root' }, flags: {} }).config;
const withSecrets = Object.freeze({ ...fromEnv, status: Object.freeze({ ...fromEnv.status, token: 'status-token-0123456789' }) });
const withoutAny = loadConfig({ cwd: tmpdir(), env: {}, flags: {} }).config;

t.test('the etcd password and the status token are the secret keys', async (t) => {
  t.ok(isSecretKey('cluster.membership.etcd.password'));
  t.ok(isSecretKey('status.token'));
  t.notOk(isSecretKey('cluster.membership.etcd.username'));
  t.notOk(isSecretKey('token'), 'a key is matched by its whole path');
});

t.test('redactSecrets replaces every secret that is set and leaves the rest and the original alone', async (t) => {
  const out = redactSecrets(withSecrets);
  t.equal(out.status.token, REDACTED);
  t.equal(out.cluster.membership.etcd.password, REDACTED);
  t.equal(out.cluster.membership.etcd.username, 'root');
  t.same({ ...out, status: withSecrets.status, cluster: withSecrets.cluster }, withSecrets, 'everything else is unchanged');
  t.equal(withSecrets.status.token, 'status-token-0123456789', 'the frozen original is untouched');
});

t.test('redactSecrets keeps an unset secret unset: a null token, no password key', async (t) => {
  const out = redactSecrets(withoutAny);
  t.equal(out.status.token, null);
  t.notOk('password' in out.cluster.membership.etcd);
});

t.test('a worker gets the status token, which it checks for /clusterz, but never the etcd password', async (t) => {
  const out = withoutSupervisorSecrets(withSecrets);
  t.notOk('password' in out.cluster.membership.etcd);
  t.equal(out.cluster.membership.etcd.username, 'root');
  t.equal(out.status.token, 'status-token-0123456789');
  t.equal(withSecrets.cluster.membership.etcd.password, 'etcd-secret', 'the frozen original is untouched');
});

t.test('the logger censors fields named password or token up to two levels deep', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ base: null, redact: { paths: [...LOG_REDACT_PATHS], censor: REDACTED } }, sink);
  log.info({ password: 'a', token: 'b', etcd: { password: 'c', token: 'd' }, a: { b: { password: 'e', token: 'f' } }, tokens: 1 });
  t.same(lines[0], { level: 30, time: lines[0]!.time, password: REDACTED, token: REDACTED, etcd: { password: REDACTED, token: REDACTED }, a: { b: { password: REDACTED, token: REDACTED } }, tokens: 1 });
});
