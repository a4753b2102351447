import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Tls from 'node:tls';
import type { Config } from '../contracts/config.js';
import type { CertificateInfo } from '../contracts/status.js';
import { ConfigErrors, PropaneError } from './errors.js';

/** A certificate and its key, as read and checked, for one server name (null: the default certificate). */
export interface TlsPair {
  serverName: string | null;
  cert: string;
  key: string;
  info: CertificateInfo;
}

/** Everything the workers need to terminate TLS, read once per config; what was checked is what is served. */
export interface TlsMaterial {
  default: TlsPair;
  /** Keyed by lower-case server name, in the config's order. */
  sni: TlsPair[];
  /** The client CA of mutual TLS; null without `tls.requestClientCert`. */
  ca: string | null;
}

const load = createRequire(import.meta.url);

/**
 * Reads and checks the files of `tls.*` (docs/tls.md, "Configuration"), as
 * `propane start`, `propane config` and every reload do before any worker is
 * touched. Returns null with TLS off; throws ConfigErrors listing every
 * problem, each naming the key, the file, the problem and the fix. Node's
 * TLS loads some broken pairs without complaint (an EC key for an RSA
 * certificate, an expired certificate), so those are checked here.
 */
export function readTlsMaterial(tls: Config['tls'], nowMs = Date.now()): TlsMaterial | null {
  if (tls.certFile === undefined || tls.keyFile === undefined) return null;
  const errors: PropaneError[] = [];
  const check = <T>(fn: () => T): T | null => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof PropaneError)) throw err;
      errors.push(err);
      return null;
    }
  };
  const ca = tls.requestClientCert && tls.caFile !== undefined ? check(() => readCa(`tls.caFile`, tls.caFile!, nowMs)) : null;
  const pair = (keyPath: string, serverName: string | null, files: { certFile: string; keyFile: string }) => check(() => readPair(keyPath, serverName, files, ca, nowMs));
  const byDefault = pair('tls', null, { certFile: tls.certFile, keyFile: tls.keyFile });
  const sni = Object.entries(tls.sni ?? {}).map(([name, files]) => pair(`tls.sni.${name}`, name.toLowerCase(), files));
  if (errors.length > 0 || byDefault === null) throw new ConfigErrors(errors);
  return { default: byDefault, sni: sni.filter((p): p is TlsPair => p !== null), ca };
}

function readPair(keyPath: string, serverName: string | null, files: { certFile: string; keyFile: string }, ca: string | null, nowMs: number): TlsPair {
  const certKey = `${keyPath}.certFile`;
  const keyKey = `${keyPath}.keyFile`;
  const certPem = readPem(certKey, files.certFile);
  const keyPem = readPem(keyKey, files.keyFile);
  const cert = parseCertificate(certKey, files.certFile, certPem, nowMs);
  const key = parseKey(keyKey, files.keyFile, keyPem);
  if (!cert.checkPrivateKey(key)) {
    throw new PropaneError('PROPANE_ERR_TLS_KEY', `${keyKey} ${files.keyFile} does not match ${certKey} ${files.certFile}. Fix: give the key the certificate was issued for (certbot writes privkey.pem beside fullchain.pem).`);
  }
  try {
    (load('node:tls') as typeof Tls).createSecureContext({ cert: certPem, key: keyPem, ...(ca === null ? {} : { ca }) });
  } catch (err) {
    throw new PropaneError('PROPANE_ERR_TLS_CERT', `${certKey} ${files.certFile} with ${keyKey} ${files.keyFile} cannot be loaded by Node's TLS (${codeOf(err)}). Fix: give a PEM certificate chain, leaf first, and its own key.`);
  }
  return { serverName, cert: certPem, key: keyPem, info: certificateInfo(serverName, cert) };
}

function readCa(keyPath: string, file: string, nowMs: number): string {
  const pem = readPem(keyPath, file);
  parseCertificate(keyPath, file, pem, nowMs);
  return pem;
}

function readPem(keyPath: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PropaneError('PROPANE_ERR_TLS_FILE', `${keyPath} ${file} cannot be read (${codeOf(err)}). Fix: give the path of a PEM file the user propane runs as can read.`);
  }
}

function parseCertificate(keyPath: string, file: string, pem: string, nowMs: number): Crypto.X509Certificate {
  let cert: Crypto.X509Certificate;
  try {
    cert = new (load('node:crypto') as typeof Crypto).X509Certificate(pem);
  } catch (err) {
    throw new PropaneError('PROPANE_ERR_TLS_CERT', `${keyPath} ${file} holds no PEM certificate (${codeOf(err)}). Fix: give a file that starts with -----BEGIN CERTIFICATE-----, e.g. certbot's fullchain.pem.`);
  }
  // OpenSSL loads an expired certificate without a word, and clients then refuse every handshake.
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  const subject = cert.subject.split('\n').join(', ');
  if (notAfter.getTime() <= nowMs) {
    throw new PropaneError('PROPANE_ERR_TLS_CERT', `${keyPath} ${file} expired at ${notAfter.toISOString()} (subject ${subject}). Fix: renew it (e.g. certbot renew), then propane reload.`);
  }
  if (notBefore.getTime() > nowMs) {
    throw new PropaneError('PROPANE_ERR_TLS_CERT', `${keyPath} ${file} is not valid before ${notBefore.toISOString()} (subject ${subject}). Fix: check this machine's clock, or use a certificate valid now.`);
  }
  return cert;
}

function parseKey(keyPath: string, file: string, pem: string): Crypto.KeyObject {
  try {
    return (load('node:crypto') as typeof Crypto).createPrivateKey(pem);
  } catch (err) {
    // OpenSSL reports a key it would need a passphrase for as "interrupted or cancelled" (no prompt in a library).
    if (codeOf(err) === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' || /^-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pem)) {
      throw new PropaneError('PROPANE_ERR_TLS_KEY', `${keyPath} ${file} is protected by a passphrase, which propane does not support. Fix: remove it with openssl pkey -in ${file} -out key.pem, and keep that file readable only by propane's user.`);
    }
    throw new PropaneError('PROPANE_ERR_TLS_KEY', `${keyPath} ${file} holds no PEM private key (${codeOf(err)}). Fix: give the certificate's private key, starting with -----BEGIN PRIVATE KEY----- (certbot: privkey.pem).`);
  }
}

/** What /status shows of a certificate; `fingerprint_sha256` reads as `openssl x509 -fingerprint -sha256` prints it. */
export function certificateInfo(serverName: string | null, cert: Crypto.X509Certificate): CertificateInfo {
  return {
    server_name: serverName,
    // Node separates the subject's RDNs with newlines.
    subject: cert.subject.split('\n').join(', '),
    // A SAN holding a comma comes back as a quoted JSON string with the comma escaped, so splitting is safe.
    sans: cert.subjectAltName ? cert.subjectAltName.split(', ') : [],
    not_after: new Date(cert.validTo).toISOString(),
    fingerprint_sha256: cert.fingerprint256,
  };
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? (err instanceof Error ? err.message : String(err));
}
