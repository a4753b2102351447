import type { IKeyValue } from 'etcd3';
import type { Config } from '../../contracts/config.js';
import { PropaneError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { bounded, CALL_TIMEOUT_MS, clientOptions, closeSession, etcdLibs, onceConnected, type Session } from './etcd-client.js';
import { registerNode, registrationOf, retireSession } from './etcd-registration.js';
import { LeaseKeepalive } from './lease-keepalive.js';
import { nodeKey, nodesPrefix } from './roster.js';
import type { MembershipSnapshot, MembershipSource, SelfInfo } from './source.js';
import { StoreHealth } from './store-health.js';
import { WatchedRoster } from './watched-roster.js';

/** How often the store-lost rule, keepalives, publication and retries are checked. */
const TICK_MS = 100;
/** Pause between two attempts to (re)open a session while the store does not answer. */
const RETRY_MS = 500;
/** `propane start` waits this long for the first registration, then serves anyway: start never blocks on etcd. */
const START_BUDGET_MS = 3000;

type MembershipConfig = Config['cluster']['membership'];

/**
 * `cluster.membership.source: etcd` (docs/cluster-etcd.md): registers the
 * node on a lease it keeps alive, watches the nodes prefix, and reports the
 * live, ready registrations. Policy (what counts, when the store is lost)
 * lives in roster.ts, the registration transactions in etcd-registration.ts,
 * the watched registrations in watched-roster.ts, the keepalives in
 * lease-keepalive.ts, the store's health in store-health.ts; this class
 * drives them.
 *
 * etcd3 1.1.2 is used with its retries and circuit breakers off and a
 * deadline on every call: its defaults retry and back off for up to 30 s,
 * and a SIGSTOPped etcd answers nothing at all.
 */
export class EtcdMembership implements MembershipSource {
  readonly name = 'etcd' as const;
  readonly #cfg: MembershipConfig;
  readonly #clusterName: string;
  readonly #prefix: string;
  #self: SelfInfo | null = null;
  #key = '';
  #onChange: () => void = () => undefined;
  #ready = false;
  #session: Session | null = null;
  #connecting: Promise<unknown> | null = null;
  #nextAttemptMs = 0;
  #lastResyncMs = 0;
  #resyncInFlight = false;
  #publishing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  readonly #roster: WatchedRoster;
  readonly #health: StoreHealth;
  readonly #keepalive: LeaseKeepalive;

  constructor(config: Config, log: Logger) {
    this.#cfg = config.cluster.membership;
    this.#clusterName = config.cluster.name;
    this.#prefix = nodesPrefix(this.#cfg.etcd.prefix, this.#clusterName);
    this.#roster = new WatchedRoster(this.#prefix, log);
    this.#health = new StoreHealth(this.#cfg.etcd.endpoints, this.#cfg.leaseSeconds, log);
    this.#keepalive = new LeaseKeepalive(this.#cfg.leaseSeconds, () => this.#health.answered());
  }

  get #connected(): boolean {
    return this.#session !== null;
  }

  async start(self: SelfInfo, onChange: () => void): Promise<void> {
    this.#self = self;
    this.#key = nodeKey(this.#cfg.etcd.prefix, this.#clusterName, self.nodeId);
    this.#onChange = onChange;
    const first = this.#connect();
    const outcome = await Promise.race([first, sleep(START_BUDGET_MS).then(() => 'pending' as const)]);
    if (outcome instanceof PropaneError) {
      await this.stop();
      throw outcome;
    }
    if (outcome === 'pending') {
      void first.then((late) => {
        if (late instanceof PropaneError) this.#health.reportTaken(late, this.#key);
      });
    }
    if (outcome !== 'connected') this.#health.reportLost(outcome === 'pending' ? `no answer within ${START_BUDGET_MS} ms` : outcome);
    this.#timer = setInterval(() => this.#tick(), TICK_MS).unref();
    this.#refreshView();
  }

  setReady(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.#publish();
  }

  snapshot(): MembershipSnapshot {
    const connected = this.#connected;
    const members = this.#roster.members;
    return {
      observedNodes: connected ? members.filter((m) => m.ready).length : 0,
      state: connected ? 'measured' : 'store_unavailable',
      members,
      store: {
        state: connected ? 'connected' : 'unavailable',
        endpoints: [...this.#cfg.etcd.endpoints],
        lease_seconds: this.#cfg.leaseSeconds,
        last_change_at: this.#roster.lastChangeAt,
      },
      changes: this.#roster.changes,
    };
  }

  /** Deletes the registration and revokes the lease, so peers see the node leave at once. */
  stop(): Promise<void> {
    this.#stopped ??= this.#deregister();
    return this.#stopped;
  }

  async #deregister(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#publishing) await Promise.race([this.#publishing, sleep(CALL_TIMEOUT_MS)]);
    // The session stays the current one, so /clusterz keeps the last view while the node drains.
    if (this.#session) await retireSession(this.#session, this.#key);
  }

  #tick(): void {
    const now = performance.now();
    const session = this.#session;
    if (session && this.#health.isLost(now)) {
      this.#lose(session, `no etcd endpoint answered for more than leaseSeconds (${this.#cfg.leaseSeconds})`);
    } else if (session) {
      this.#keepalive.tick(session.lease, now);
      this.#resync(session, now);
      this.#publish();
    } else if (!this.#connecting && !this.#stopping && now >= this.#nextAttemptMs) {
      void this.#connect().then((outcome) => {
        if (outcome instanceof PropaneError) this.#health.reportTaken(outcome, this.#key);
      });
    }
  }

  /** One attempt to register and read the members; never rejects. */
  #connect(): Promise<'connected' | string | PropaneError> {
    const attempt = this.#openSession().then(
      (session) => {
        if (this.#stopping) {
          void retireSession(session, this.#key);
          return 'stopping';
        }
        this.#session = session;
        this.#health.connected(this.#key);
        this.#lastResyncMs = performance.now();
        this.#keepalive.restart(this.#lastResyncMs);
        this.#refreshView();
        this.#publish();
        return 'connected' as const;
      },
      (err: unknown) => {
        this.#nextAttemptMs = performance.now() + RETRY_MS;
        return err instanceof PropaneError ? err : describe(err);
      },
    );
    this.#connecting = attempt.finally(() => (this.#connecting = null));
    return attempt;
  }

  async #openSession(): Promise<Session> {
    const self = this.#self!;
    const client = new (etcdLibs().etcd3.Etcd3)(clientOptions(this.#cfg));
    const session: Session = { client, lease: null, leaseId: '', watcher: null, publishedReady: null, closed: false };
    try {
      const lease = client.lease(this.#cfg.leaseSeconds, { autoKeepAlive: false });
      session.lease = lease;
      lease.on('lost', (err: Error) => this.#lose(session, `the etcd lease is gone: ${err.message}`));
      session.leaseId = await lease.grant();
      this.#health.answered();
      await registerNode(session, { key: this.#key, prefix: this.#prefix }, registrationOf(self, this.#ready), () => this.#health.answered());
      const range = await client.getAll().prefix(this.#prefix).exec();
      this.#health.answered();
      this.#roster.replace(range.kvs, BigInt(range.header.revision));
      const watcher = client.watch().prefix(this.#prefix).startRevision(String(this.#roster.revision + 1n)).watcher();
      session.watcher = watcher;
      watcher.on('put', (kv: IKeyValue) => this.#onWatched(session, kv, 'put'));
      watcher.on('delete', (kv: IKeyValue) => this.#onWatched(session, kv, 'delete'));
      watcher.on('connected', () => this.#health.answered());
      watcher.on('error', (err: Error) => this.#lose(session, `the etcd watch was cancelled: ${err.message}`));
      await bounded(onceConnected(watcher), CALL_TIMEOUT_MS * 2, 'watch');
      return session;
    } catch (err) {
      closeSession(session);
      throw err;
    }
  }

  /** Writes `ready` when it differs from what the store holds; one write at a time, retried by the tick. */
  #publish(): void {
    const session = this.#session;
    if (!session || this.#publishing || this.#stopping || session.publishedReady === this.#ready) return;
    const ready = this.#ready;
    this.#publishing = session.client
      .put(this.#key)
      .value(JSON.stringify(registrationOf(this.#self!, ready)))
      .lease(session.leaseId)
      .exec()
      .then(
        () => {
          this.#health.answered();
          session.publishedReady = ready;
        },
        (err: unknown) => {
          if (err instanceof etcdLibs().etcd3.EtcdLeaseInvalidError) this.#lose(session, `the etcd lease is gone: ${err.message}`);
        },
      )
      .finally(() => {
        this.#publishing = null;
        if (session === this.#session && session.publishedReady !== this.#ready) this.#publish();
      });
  }

  /**
   * Reads the whole prefix once per leaseSeconds and takes it when it is
   * newer than what the watch delivered: a watch stream stuck on a hung
   * member goes silent rather than failing.
   */
  #resync(session: Session, now: number): void {
    if (this.#resyncInFlight || now - this.#lastResyncMs < this.#cfg.leaseSeconds * 1000) return;
    this.#resyncInFlight = true;
    this.#lastResyncMs = now;
    session.client
      .getAll()
      .prefix(this.#prefix)
      .exec()
      .then(
        (range) => {
          this.#health.answered();
          if (session !== this.#session) return;
          const revision = BigInt(range.header.revision);
          if (revision <= this.#roster.revision) return;
          this.#roster.replace(range.kvs, revision);
          this.#refreshView();
        },
        () => undefined,
      )
      .finally(() => (this.#resyncInFlight = false));
  }

  #onWatched(session: Session, kv: IKeyValue, type: 'put' | 'delete'): void {
    this.#health.answered();
    if (session !== this.#session) return;
    if (!this.#roster.applyWatched(kv, type)) return; // already in a newer full read
    // Someone deleted our key while our lease lives: write it again.
    if (type === 'delete' && kv.key.toString('utf8') === this.#key && !this.#stopping) session.publishedReady = null;
    this.#refreshView();
    this.#publish();
  }

  #lose(session: Session, reason: string): void {
    if (session.closed) return;
    closeSession(session);
    if (session !== this.#session) return;
    this.#session = null;
    this.#nextAttemptMs = 0;
    this.#roster.clear();
    this.#health.reportLost(reason);
    this.#refreshView();
  }

  /** Recomputes the member list; a change is pushed to every worker. */
  #refreshView(): void {
    if (this.#roster.refresh(this.#connected)) this.#onChange();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
