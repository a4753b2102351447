import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';
import type { Config } from '../contracts/config.js';
import type { SupervisorToWorker } from '../contracts/ipc.js';

export type TlsMaterialMessage = Extract<SupervisorToWorker, { type: 'tls_material' }>;

export interface TlsSettings {
  minVersion: Config['tls']['minVersion'];
  requestClientCert: boolean;
  handshakeMs: number;
}

/**
 * One context for every worker: resumption across workers needs the same
 * ticket keys and the same session id context, whose default (a hash of the
 * process's argv) differs between two installs during a rolling reload.
 */
const SESSION_ID_CONTEXT = 'propane';

/**
 * The tls.Server of a worker (docs/tls.md), built from the material the
 * supervisor sent. It never listens: admitted (and refused) connections are
 * handed to it one by one. node:tls is loaded here, at the first TLS config,
 * so a worker without TLS never pays for it.
 */
export function createTlsServer(settings: TlsSettings, material: TlsMaterialMessage, ticketKeys: Buffer): Tls.Server {
  const tls = createRequire(import.meta.url)('node:tls') as typeof Tls;
  // Without `ca`, Node would verify client certificates against its bundled public roots.
  if (settings.requestClientCert && material.ca === null) throw new Error('tls.requestClientCert needs the client CA, and none came with the TLS material');
  const ca = settings.requestClientCert && material.ca !== null ? { ca: material.ca } : {};
  // After an SNI switch the client certificate is verified against the SNI context's store: each gets the same CA.
  const contexts = new Map(material.sni.map((p) => [p.server_name, tls.createSecureContext({ cert: p.cert, key: p.key, minVersion: settings.minVersion, ...ca })]));
  return tls.createServer({
    cert: material.default.cert,
    key: material.default.key,
    ...ca,
    minVersion: settings.minVersion,
    // https.Server sets this itself; a tls.Server must be told, or an ALPN client could negotiate h2 we cannot speak.
    ALPNProtocols: ['http/1.1'],
    sessionIdContext: SESSION_ID_CONTEXT,
    ticketKeys,
    // Node then reports a handshake still running after this long as ERR_TLS_HANDSHAKE_TIMEOUT.
    handshakeTimeout: settings.handshakeMs,
    requestCert: settings.requestClientCert,
    rejectUnauthorized: settings.requestClientCert,
    ...(contexts.size > 0 ? { SNICallback: (name: string, cb: (err: Error | null, ctx?: Tls.SecureContext) => void) => cb(null, lookupServerName(contexts, name)) } : {}),
  });
}

/**
 * The context for a server name: the exact name, else the `*.` entry of its
 * parent (one label, as certificates match), else undefined (the default
 * certificate). Names are compared in lower case; Node's own addContext is
 * case-sensitive on Node 20 and not on 24.
 */
export function lookupServerName<T>(contexts: ReadonlyMap<string, T>, serverName: string): T | undefined {
  const name = serverName.toLowerCase();
  const exact = contexts.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? contexts.get(`*${name.slice(dot)}`) : undefined;
}
