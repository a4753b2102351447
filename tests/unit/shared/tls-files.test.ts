import { join } from 'node:path';
import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import { ConfigErrors } from '../../../shared/errors.js';
import { readTlsMaterial } from '../../../shared/tls-files.js';
import { fingerprintOf, makeCertificates, readPem, requireOpenssl } from '../../helpers/certificates.js';

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const tls = (over: Partial<Config['tls']>): Config['tls'] => ({ requestClientCert: false, minVersion: 'TLSv1.2', certFile: certs.server.cert, keyFile: certs.server.key, ...over });
  const problems = (over: Partial<Config['tls']>): Array<{ code: string; message: string }> => {
    try {
      readTlsMaterial(tls(over));
      return [];
    } catch (err) {
      if (!(err instanceof ConfigErrors)) throw err;
      return err.errors.map((e) => ({ code: e.code, message: e.message }));
    }
  };

  t.test('TLS off: no material', async (t) => {
    t.equal(readTlsMaterial({ requestClientCert: false, minVersion: 'TLSv1.2' }), null);
  });

  t.test('a certificate and its key: the PEM as read, and what /status shows of it', async (t) => {
    const m = readTlsMaterial(tls({}))!;
    t.equal(m.default.cert, readPem(certs.server.cert));
    t.equal(m.default.key, readPem(certs.server.key));
    t.same(m.default.info, {
      server_name: null,
      subject: 'CN=localhost, O=Propane',
      sans: ['DNS:localhost', 'IP Address:127.0.0.1'],
      not_after: m.default.info.not_after,
      fingerprint_sha256: fingerprintOf(certs.server.cert),
    });
    t.ok(Date.parse(m.default.info.not_after) > Date.now() + 29 * 86_400_000, 'notAfter 30 days ahead, as ISO 8601');
    t.equal(m.ca, null);
    t.same(m.sni, []);
  });

  t.test('SNI entries keep their order, lower-cased; the CA comes with client certificates', async (t) => {
    const m = readTlsMaterial(tls({ requestClientCert: true, caFile: certs.ca, sni: { 'Alpha.Test': { certFile: certs.alpha.cert, keyFile: certs.alpha.key }, '*.beta.test': { certFile: certs.beta.cert, keyFile: certs.beta.key } } }))!;
    t.same(m.sni.map((p) => [p.serverName, p.info.server_name, p.info.subject]), [['alpha.test', 'alpha.test', 'CN=alpha.test, O=Propane'], ['*.beta.test', '*.beta.test', 'CN=beta.test, O=Propane']]);
    t.equal(m.ca, readPem(certs.ca));
  });

  const missing = join(certs.dir, 'missing.pem');
  for (const c of [
    { name: 'a missing certificate file', over: { certFile: missing }, code: 'PROPANE_ERR_TLS_FILE', message: `tls.certFile ${missing} cannot be read (ENOENT). Fix: give the path of a PEM file the user propane runs as can read.` },
    { name: 'a directory as the key', over: { keyFile: certs.dir }, code: 'PROPANE_ERR_TLS_FILE', message: `tls.keyFile ${certs.dir} cannot be read (EISDIR).` },
    { name: 'PEM garbage as the certificate', over: { certFile: certs.garbage }, code: 'PROPANE_ERR_TLS_CERT', message: `tls.certFile ${certs.garbage} holds no PEM certificate (ERR_OSSL_PEM_BAD_BASE64_DECODE). Fix: give a file that starts with -----BEGIN CERTIFICATE-----` },
    { name: 'a key file given as the certificate', over: { certFile: certs.server.key }, code: 'PROPANE_ERR_TLS_CERT', message: `tls.certFile ${certs.server.key} holds no PEM certificate (ERR_OSSL_PEM_NO_START_LINE)` },
    { name: 'an expired certificate', over: { certFile: certs.expired.cert, keyFile: certs.expired.key }, code: 'PROPANE_ERR_TLS_CERT', message: `tls.certFile ${certs.expired.cert} expired at 2021-01-01T00:00:00.000Z (subject CN=expired.test). Fix: renew it (e.g. certbot renew), then propane reload.` },
    { name: 'a passphrase-protected key', over: { keyFile: certs.passphraseKey }, code: 'PROPANE_ERR_TLS_KEY', message: `tls.keyFile ${certs.passphraseKey} is protected by a passphrase, which propane does not support. Fix: remove it with openssl pkey -in ${certs.passphraseKey} -out key.pem` },
    { name: 'a certificate given as the key', over: { keyFile: certs.server.cert }, code: 'PROPANE_ERR_TLS_KEY', message: `tls.keyFile ${certs.server.cert} holds no PEM private key (ERR_OSSL_UNSUPPORTED)` },
    { name: 'the key of another certificate', over: { keyFile: certs.alpha.key }, code: 'PROPANE_ERR_TLS_KEY', message: `tls.keyFile ${certs.alpha.key} does not match tls.certFile ${certs.server.cert}. Fix: give the key the certificate was issued for` },
    // Node's TLS loads this pair without a word, and every handshake then fails.
    { name: 'an EC key for an RSA certificate', over: { certFile: certs.rsa.cert, keyFile: certs.rsa.key }, code: 'PROPANE_ERR_TLS_KEY', message: `tls.keyFile ${certs.rsa.key} does not match tls.certFile ${certs.rsa.cert}.` },
    { name: 'a broken SNI entry names its server name', over: { sni: { 'alpha.test': { certFile: certs.alpha.cert, keyFile: certs.beta.key } } }, code: 'PROPANE_ERR_TLS_KEY', message: `tls.sni.alpha.test.keyFile ${certs.beta.key} does not match tls.sni.alpha.test.certFile ${certs.alpha.cert}.` },
    { name: 'a garbage client CA', over: { requestClientCert: true, caFile: certs.garbage }, code: 'PROPANE_ERR_TLS_CERT', message: `tls.caFile ${certs.garbage} holds no PEM certificate` },
  ]) {
    t.test(`${c.name} is refused, naming the key, the file, the problem and the fix`, async (t) => {
      const got = problems(c.over);
      t.equal(got.length, 1, JSON.stringify(got));
      t.equal(got[0]?.code, c.code);
      t.equal(got[0]?.message.slice(0, c.message.length), c.message);
      t.match(got[0]?.message, /Fix: /);
    });
  }

  t.test('every problem is reported at once', async (t) => {
    const got = problems({ keyFile: certs.passphraseKey, sni: { 'alpha.test': { certFile: missing, keyFile: certs.alpha.key } } });
    t.same(got.map((p) => p.code), ['PROPANE_ERR_TLS_KEY', 'PROPANE_ERR_TLS_FILE']);
  });
}
