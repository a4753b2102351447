import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Etcd3, IOptions, Lease, Watcher } from 'etcd3';
import type { Config } from '../../contracts/config.js';

/**
 * The etcd3 client as the etcd membership source uses it
 * (docs/cluster-etcd.md): every unary call under a deadline, the client's
 * own retries, circuit breakers and long watch backoff off, one client per
 * session.
 */

/** Every unary etcd call carries this deadline: a frozen etcd must never hold the supervisor. */
export const CALL_TIMEOUT_MS = 1000;
/** Reconnect delay of the etcd3 watch stream; its default backs off up to 30 s. */
const WATCH_RETRY_MS = 250;

type MembershipConfig = Config['cluster']['membership'];

/**
 * etcd3 brings grpc and protobuf: about 23 MB of RSS and 110 ms to load.
 * Loaded on first use, so that `source: static` nodes never pay for it.
 */
const require = createRequire(import.meta.url);
let libs: { etcd3: typeof import('etcd3'); cockatiel: typeof import('cockatiel') } | undefined;
export function etcdLibs(): NonNullable<typeof libs> {
  libs ??= { etcd3: require('etcd3') as typeof import('etcd3'), cockatiel: require('cockatiel') as typeof import('cockatiel') };
  return libs;
}

/** One registration on one lease through one client; a lost store ends it and a new one starts afresh. */
export interface Session {
  client: Etcd3;
  lease: Lease | null;
  leaseId: string;
  watcher: Watcher | null;
  /** `ready` as last written to the store; null forces a write. */
  publishedReady: boolean | null;
  closed: boolean;
}

/** Options for one session's client; the password goes to etcd3 and nowhere else. */
export function clientOptions(cfg: MembershipConfig): IOptions {
  const { ConstantBackoff, handleWhen, noop, retry } = etcdLibs().cockatiel;
  const { isRecoverableError } = etcdLibs().etcd3;
  const etcd = cfg.etcd;
  const tls = etcd.tls;
  const hosts = etcd.endpoints.map(grpcHost);
  return {
    hosts,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
    faultHandling: {
      host: () => noop,
      // One more try on another endpoint, so one dead member of a cluster costs nothing.
      global: hosts.length > 1 ? retry(handleWhen(isRecoverableError), { maxAttempts: 1, backoff: new ConstantBackoff(0) }) : noop,
      watchBackoff: new ConstantBackoff(WATCH_RETRY_MS).next(),
    },
    // A private subchannel per client: a closed client's reconnect backoff must not carry over to the next session.
    grpcOptions: { 'grpc.use_local_subchannel_pool': 1, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 },
    ...(etcd.username && etcd.password ? { auth: { username: etcd.username, password: etcd.password } } : {}),
    ...(tls && (tls.caFile || tls.certFile)
      ? {
          credentials: {
            // grpc's createSsl takes null for "the system roots"; etcd3's type insists on a Buffer.
            rootCertificate: (tls.caFile ? readFileSync(tls.caFile) : null) as Buffer,
            ...(tls.keyFile ? { privateKey: readFileSync(tls.keyFile) } : {}),
            ...(tls.certFile ? { certChain: readFileSync(tls.certFile) } : {}),
          },
        }
      : {}),
  };
}

/** etcd3 strips the scheme and hands host:port to grpc, whose default port is 443; etcd's is 2379. */
export function grpcHost(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.port ? '' : ':2379'}`;
}

export function closeSession(session: Session): void {
  if (session.closed) return;
  session.closed = true;
  session.lease?.release();
  // With the stream down this drops the watcher at once; with it up, the next reconnect drops it.
  void session.watcher?.cancel().catch(() => undefined);
  session.client.close();
}

export function onceConnected(watcher: Watcher): Promise<void> {
  return new Promise((resolve, reject) => {
    watcher.once('connected', () => resolve());
    watcher.once('error', reject);
  });
}

export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`etcd ${what} did not answer within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
