import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Config } from '../../contracts/config.js';
import { PropaneError } from '../errors.js';

/** Linux caps sun_path at 108 bytes and macOS at 104; stay clear of both. */
export const MAX_SOCKET_PATH_BYTES = 100;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Combinations that parse but cannot work, or would expose control of the
 * node: refused at start and by `propane config` (docs/configuration.md,
 * "Validation"; each is a PROPANE_ERR_CONFIG_RISKY of docs/errors.md).
 */
export function findRisks(c: Config): PropaneError[] {
  const risks: PropaneError[] = [];
  const risky = (msg: string) => risks.push(new PropaneError('PROPANE_ERR_CONFIG_RISKY', msg));
  const tcp = c.status.port !== null;
  const token = c.status.token !== null;

  if (Buffer.byteLength(c.status.socket) > MAX_SOCKET_PATH_BYTES) {
    risks.push(new PropaneError('PROPANE_ERR_STATUS_SOCKET_PATH', `status.socket is ${Buffer.byteLength(c.status.socket)} bytes long; got ${JSON.stringify(c.status.socket)}. Fix: use a path of at most ${MAX_SOCKET_PATH_BYTES} bytes, e.g. ./propane.sock.`));
  }
  if (tcp && !isLoopback(c.status.host) && !token) {
    risky(`status.host ${JSON.stringify(c.status.host)} exposes the status API beyond loopback without status.token. Fix: set status.host to 127.0.0.1, or set status.token.`);
  }
  if (tcp && c.security.statusReadsRequireToken && !token) {
    risky(`security profile ${c.securityProfile} requires status.token for the TCP status listener (status.port ${String(c.status.port)}). Fix: set status.token (16+ characters), or remove status.port.`);
  }
  if (c.security.clusterzRequiresToken && !token) {
    risky(`security.clusterzRequiresToken is true (securityProfile ${c.securityProfile}) but status.token is not set. Fix: set status.token (16+ characters), or set security.clusterzRequiresToken to false.`);
  }
  if (c.security.trustedProxy && c.securityProfile === 'strict') {
    risky(`security.trustedProxy is true under securityProfile strict, which trusts no proxy headers. Fix: use securityProfile edge behind a proxy, or set security.trustedProxy to false.`);
  }
  const m = c.cluster.membership;
  if (m.source === 'etcd') {
    if (!c.cluster.enabled) risky('cluster.membership.source is etcd but cluster.enabled is false. Fix: set cluster.enabled to true, or use source static.');
    if (m.etcd.endpoints.length === 0) risky('cluster.membership.etcd.endpoints is empty while cluster.membership.source is etcd. Fix: list the etcd endpoints, e.g. ["http://127.0.0.1:2379"].');
    risks.push(...endpointRisks(m.etcd.endpoints, m.etcd.tls !== undefined && Object.values(m.etcd.tls).some(Boolean)));
    if (Boolean(m.etcd.username) !== Boolean(m.etcd.password)) {
      risky(`cluster.membership.etcd.${m.etcd.username ? 'password' : 'username'} is missing while ${m.etcd.username ? 'username' : 'password'} is set. Fix: set both (the password also from ARLEN_CLUSTER_ETCD_PASSWORD), or neither.`);
    }
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      const file = m.etcd.tls?.[key];
      if (file !== undefined && !existsSync(file)) {
        risks.push(new PropaneError('PROPANE_ERR_CONFIG_FILE', `cluster.membership.etcd.tls.${key} names a file that does not exist; got ${JSON.stringify(file)}. Fix: give the path of a readable PEM file.`));
      }
    }
    if (Boolean(m.etcd.tls?.certFile) !== Boolean(m.etcd.tls?.keyFile)) {
      risky('cluster.membership.etcd.tls needs both certFile and keyFile for client certificates. Fix: set both, or neither.');
    }
  }
  risks.push(...tlsRisks(c.tls));
  return risks;
}

/** TLS keys that only work together (docs/tls.md, "Configuration"). */
function tlsRisks(tls: Config['tls']): PropaneError[] {
  const risks: PropaneError[] = [];
  const risky = (msg: string) => risks.push(new PropaneError('PROPANE_ERR_CONFIG_RISKY', msg));
  const on = tls.certFile !== undefined && tls.keyFile !== undefined;
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    risky(`tls.${tls.certFile === undefined ? 'certFile' : 'keyFile'} is missing while tls.${tls.certFile === undefined ? 'keyFile' : 'certFile'} is set. Fix: set both for HTTPS, or neither for plain HTTP.`);
  } else if (!on) {
    const set = [tls.caFile !== undefined && 'tls.caFile', tls.requestClientCert && 'tls.requestClientCert', tls.sni !== undefined && 'tls.sni'].filter(Boolean);
    if (set.length > 0) risky(`${set.join(', ')} set while TLS is off (no tls.certFile and tls.keyFile). Fix: set tls.certFile and tls.keyFile, or remove ${set.join(', ')}.`);
  }
  if (on && tls.requestClientCert && tls.caFile === undefined) {
    risky('tls.requestClientCert is true but tls.caFile is not set: Node would accept client certificates from any public CA. Fix: set tls.caFile to the CA that signs your clients\' certificates.');
  }
  if (on && !tls.requestClientCert && tls.caFile !== undefined) {
    risky('tls.caFile is set but tls.requestClientCert is false: the CA only verifies client certificates. Fix: set tls.requestClientCert to true, or remove tls.caFile.');
  }
  const seen = new Map<string, string>();
  for (const name of Object.keys(tls.sni ?? {})) {
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) risky(`tls.sni names ${JSON.stringify(other)} and ${JSON.stringify(name)}, the same server name (names match without regard to case). Fix: keep one of them.`);
    seen.set(name.toLowerCase(), name);
  }
  return risks;
}

/**
 * etcd3 hands `host:port` to grpc after stripping the scheme: a path, a
 * query or credentials in the URL would become part of the host name, and
 * it refuses a mix of http and https endpoints.
 */
function endpointRisks(endpoints: readonly string[], tls: boolean): PropaneError[] {
  const risks: PropaneError[] = [];
  const risky = (msg: string) => risks.push(new PropaneError('PROPANE_ERR_CONFIG_RISKY', msg));
  endpoints.forEach((endpoint, i) => {
    const url = new URL(endpoint);
    const key = `cluster.membership.etcd.endpoints.${i}`;
    if (url.username || url.password) {
      risky(`${key} carries credentials; got ${JSON.stringify(redactUserinfo(endpoint))}. Fix: give scheme://host:port and set cluster.membership.etcd.username and password instead.`);
    } else if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      risky(`${key} must be scheme://host:port without a path or query; got ${JSON.stringify(redactUserinfo(endpoint))}. Fix: use ${JSON.stringify(`${url.protocol}//${url.host}`)}.`);
    }
  });
  const https = endpoints.filter((e) => e.startsWith('https:')).length;
  if (https > 0 && https < endpoints.length) {
    risky(`cluster.membership.etcd.endpoints mixes http and https; got ${JSON.stringify(endpoints.map(redactUserinfo))}. Fix: use https:// for every endpoint, or http:// for every one.`);
  }
  if (tls && https === 0 && endpoints.length > 0) {
    risky(`cluster.membership.etcd.tls is set but the endpoints are plain http; got ${JSON.stringify(endpoints.map(redactUserinfo))}. Fix: use https:// endpoints, or remove cluster.membership.etcd.tls.`);
  }
  return risks;
}

/** `http://user:secret@host` -> `http://<redacted>@host`: a password in a URL is still a password. */
export function redactUserinfo(text: string): string {
  return text.replace(/^("?)([a-z][a-z0-9+.-]*:\/\/)?[^/@"]*@/i, '$1$2<redacted>@');
}
