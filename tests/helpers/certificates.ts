import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, type ToolTest } from './debian-tools.js';
import { tempDir } from './temp.js';

/**
 * Certificates for the TLS tests, made with the `openssl` command line (Debian's
 * openssl package; tests/helpers/install-tools.sh) in a directory the test's
 * teardown removes. EC P-256 keys, which take milliseconds to make; one RSA
 * certificate for the "EC key for an RSA certificate" mismatch.
 */

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA that signs every certificate below except `rogueClient`; clients trust it. */
  ca: string;
  /** CN=localhost, SANs localhost and 127.0.0.1. */
  server: CertFiles;
  /** The same names on a new key: what a renewal brings. */
  renewed: CertFiles;
  /** alpha.test and *.alpha.test. */
  alpha: CertFiles;
  beta: CertFiles;
  /** A client certificate signed by `ca`. */
  client: CertFiles;
  /** A client certificate signed by another CA. */
  rogueClient: CertFiles;
  /** Valid from 2020-01-01 to 2021-01-01. */
  expired: CertFiles;
  /** An RSA certificate for 127.0.0.1, and an EC key that is not its own. */
  rsa: CertFiles;
  /** `server.key` under the passphrase "secret" (PKCS#8). */
  passphraseKey: string;
  /** PEM armour around bytes that are not base64. */
  garbage: string;
}

/** True when the openssl command line is installed (else the test is skipped loudly, or fails on CI). */
export function requireOpenssl(t: ToolTest): boolean {
  return requireTools(t, [['openssl', 'openssl']], 'the TLS tests (they make their certificates with it)');
}

/** Makes every certificate above in a fresh directory of `t`. */
export function makeCertificates(t: ToolTest): TestCertificates {
  const dir = tempDir(t);
  const at = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ecKey = (name: string): string => (ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', at(name)), at(name));
  const selfSigned = (name: string, cn: string): CertFiles => {
    const key = ecKey(`${name}.key`);
    ssl('req', '-x509', '-new', '-key', key, '-out', at(`${name}.crt`), '-days', '30', '-subj', `/CN=${cn}`);
    return { cert: at(`${name}.crt`), key };
  };
  const ca = selfSigned('ca', 'Propane Test CA');
  const otherCa = selfSigned('other-ca', 'Other CA');
  const leaf = (name: string, cn: string, sans: string, issuer: CertFiles = ca, key = ecKey(`${name}.key`)): CertFiles => {
    writeFileSync(at(`${name}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    ssl('req', '-new', '-key', key, '-out', at(`${name}.csr`), '-subj', `/CN=${cn}/O=Propane`);
    ssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-out', at(`${name}.crt`), '-days', '30', '-extfile', at(`${name}.ext`));
    return { cert: at(`${name}.crt`), key };
  };
  const server = leaf('server', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  const renewed = leaf('renewed', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  const alpha = leaf('alpha', 'alpha.test', 'DNS:alpha.test,DNS:*.alpha.test');
  const beta = leaf('beta', 'beta.test', 'DNS:beta.test');
  const client = leaf('client', 'client one', 'DNS:client.test');
  const rogueClient = leaf('rogue', 'rogue client', 'DNS:rogue.test', otherCa);

  ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', at('rsa-own.key'));
  const rsa = { cert: leaf('rsa', 'rsa.test', 'IP:127.0.0.1', ca, at('rsa-own.key')).cert, key: ecKey('rsa-wrong.key') };

  // openssl x509 cannot date a certificate in the past before OpenSSL 3.4; a minimal `openssl ca` can.
  const expiredKey = ecKey('expired.key');
  ssl('req', '-new', '-key', expiredKey, '-out', at('expired.csr'), '-subj', '/CN=expired.test');
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('serial'), '1000\n');
  writeFileSync(at('ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndatabase=${at('index.txt')}\nserial=${at('serial')}\nnew_certs_dir=${dir}\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`);
  ssl('ca', '-batch', '-config', at('ca.cnf'), '-cert', ca.cert, '-keyfile', ca.key, '-in', at('expired.csr'), '-out', at('expired.crt'), '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-notext');

  ssl('pkcs8', '-topk8', '-in', server.key, '-out', at('passphrase.key'), '-v2', 'aes-256-cbc', '-passout', 'pass:secret');
  writeFileSync(at('garbage.crt'), '-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n');
  return { dir, ca: ca.cert, server, renewed, alpha, beta, client, rogueClient, expired: { cert: at('expired.crt'), key: expiredKey }, rsa, passphraseKey: at('passphrase.key'), garbage: at('garbage.crt') };
}

/** The config keys of TLS with `files` as the default certificate. */
export function tlsConfig(files: CertFiles, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { certFile: files.cert, keyFile: files.key, ...extra };
}

/** The SHA-256 fingerprint of a PEM certificate file, as /status and Node's getPeerCertificate().fingerprint256 show it. */
export function fingerprintOf(certFile: string): string {
  return execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim().split('=')[1]!;
}

export const readPem = (file: string): string => readFileSync(file, 'utf8');
