import t from 'tap';
import { tmpdir } from 'node:os';
import type { Config } from '../../../contracts/config.js';
import { loadConfig } from '../../../shared/config/load.js';
import { SECURITY_PRESETS } from '../../../shared/config/profiles.js';
import { findRisks } from '../../../shared/config/risks.js';

const TOKEN = 'unit-token-0123456789abcdef';
const base = loadConfig({ cwd: tmpdir(), env: {}, flags: {} }).config;

/** A config like the loaded defaults, with the given profile's preset and status settings. */
function configWith(profile: Config['securityProfile'], status: Partial<Config['status']>, security: Partial<Config['security']> = {}): Config {
  return { ...base, securityProfile: profile, security: { ...SECURITY_PRESETS[profile], ...security }, status: { ...base.status, ...status } };
}

/** The defaults with `tls` set as given. */
function tlsWith(tls: Partial<Config['tls']>): Config {
  return { ...base, tls: { ...base.tls, ...tls } };
}
const PAIR = { certFile: '/c.pem', keyFile: '/k.pem' };

const rows: Array<{ name: string; config: Config; want: RegExp[] }> = [
  { name: 'balanced with nothing set is fine', config: configWith('balanced', {}), want: [] },
  { name: 'balanced with a loopback TCP listener and no token is fine (reads only)', config: configWith('balanced', { port: 9000 }), want: [] },
  { name: 'a TCP listener on ::1 counts as loopback', config: configWith('balanced', { port: 9000, host: '::1' }), want: [] },
  { name: 'a TCP listener beyond loopback without a token is refused', config: configWith('balanced', { port: 9000, host: '0.0.0.0' }), want: [/status\.host "0\.0\.0\.0" exposes the status API/] },
  { name: 'a TCP listener beyond loopback with a token is allowed', config: configWith('balanced', { port: 9000, host: '10.0.0.5', token: TOKEN }), want: [] },
  { name: 'strict without a token is refused', config: configWith('strict', {}), want: [/security\.clusterzRequiresToken is true \(securityProfile strict\)/] },
  { name: 'strict with a TCP listener and no token names both problems', config: configWith('strict', { port: 9000 }), want: [/strict requires status\.token for the TCP status listener/, /clusterzRequiresToken/] },
  { name: 'strict with a token is fine', config: configWith('strict', { port: 9000, token: TOKEN }), want: [] },
  { name: 'strict trusting proxy headers is refused', config: configWith('strict', { token: TOKEN }, { trustedProxy: true }), want: [/security\.trustedProxy is true under securityProfile strict/] },
  { name: 'edge without a token is refused', config: configWith('edge', {}), want: [/securityProfile edge/] },
  { name: 'edge with /clusterz opened by the file needs no token', config: configWith('edge', {}, { clusterzRequiresToken: false }), want: [] },
  { name: 'TLS with a certificate and its key is fine', config: tlsWith(PAIR), want: [] },
  { name: 'TLS with a certificate and no key is refused', config: tlsWith({ certFile: '/c.pem' }), want: [/tls\.keyFile is missing while tls\.certFile is set/] },
  { name: 'TLS with a key and no certificate is refused', config: tlsWith({ keyFile: '/k.pem' }), want: [/tls\.certFile is missing while tls\.keyFile is set/] },
  { name: 'client certificates without a CA are refused: Node would trust any public CA', config: tlsWith({ ...PAIR, requestClientCert: true }), want: [/tls\.requestClientCert is true but tls\.caFile is not set/] },
  { name: 'client certificates with their CA are fine', config: tlsWith({ ...PAIR, requestClientCert: true, caFile: '/ca.pem' }), want: [] },
  { name: 'a CA without client certificates is refused: it would do nothing', config: tlsWith({ ...PAIR, caFile: '/ca.pem' }), want: [/tls\.caFile is set but tls\.requestClientCert is false/] },
  { name: 'SNI with TLS off is refused', config: tlsWith({ sni: { 'a.test': PAIR } }), want: [/tls\.sni set while TLS is off/] },
  { name: 'two SNI names that differ only in case are refused', config: tlsWith({ ...PAIR, sni: { 'a.test': PAIR, 'A.Test': PAIR } }), want: [/tls\.sni names "a\.test" and "A\.Test", the same server name/] },
];

for (const c of rows) {
  t.test(c.name, async (t) => {
    const got = findRisks(c.config);
    t.equal(got.length, c.want.length, got.map((e) => e.message).join('\n'));
    c.want.forEach((re, i) => {
      t.equal(got[i]?.code, 'PROPANE_ERR_CONFIG_RISKY');
      t.match(got[i]?.message, re);
      t.match(got[i]?.message, /Fix: /);
    });
  });
}
