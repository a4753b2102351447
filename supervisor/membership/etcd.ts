import type { IKeyValue } from 'etcd3';
import type { Member } from '../../contracts/cluster.js';
import type { Config } from '../../contracts/config.js';
import { PropaneError } from '../../shared/errors.js';
import { logEvent, type Logger } from '../../shared/log.js';
import { bounded, CALL_TIMEOUT_MS, clientOptions, closeSession, etcdLibs, onceConnected, type Session } from './etcd-client.js';
import { isSameProcess, isStoreLost, nodeKey, nodesPrefix, parseRegistration, viewRoster, type Registration } from './roster.js';
import type { MembershipSnapshot, MembershipSource, SelfInfo } from './source.js';

/** How often the store-lost rule, keepalives, publication and retries are checked. */
const TICK_MS = 100;
/** A failed keepalive is retried this soon, on whichever endpoint etcd3 picks next. */
const KEEPALIVE_RETRY_MS = 100;
/** Pause between two attempts to (re)open a session while the store does not answer. */
const RETRY_MS = 500;
/** `propane start` waits this long for the first registration, then serves anyway (issue 9: start never blocks on etcd). */
const START_BUDGET_MS = 3000;

type MembershipConfig = Config['cluster']['membership'];

/**
 * `cluster.membership.source: etcd` (SPEC section 9, issue 9): registers the
 * node on a lease it keeps alive, watches the nodes prefix, and reports the
 * live, ready registrations. Policy (what counts, when the store is lost)
 * lives in roster.ts; this class is the I/O around it.
 *
 * etcd3 1.1.2 is used with its retries and circuit breakers off and a
 * deadline on every call: its defaults retry and back off for up to 30 s,
 * and a SIGSTOPped etcd answers nothing at all. Keepalives are sent one at
 * a time (`keepaliveOnce` with a deadline), so each can reach a different
 * endpoint when one member hangs; the long-lived keepalive stream would sit
 * on the hung member for a whole TTL.
 */
export class EtcdMembership implements MembershipSource {
  readonly name = 'etcd' as const;
  readonly #cfg: MembershipConfig;
  readonly #clusterName: string;
  readonly #log: Logger;
  readonly #prefix: string;
  #self: SelfInfo | null = null;
  #key = '';
  #onChange: () => void = () => undefined;
  #ready = false;
  #session: Session | null = null;
  #connecting: Promise<unknown> | null = null;
  #nextAttemptMs = 0;
  #lastAnswerMs = 0;
  #lastKeepaliveMs = 0;
  #lastResyncMs = 0;
  #keepaliveInFlight = false;
  #resyncInFlight = false;
  #publishing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  /** etcd key -> registration, as last read or watched; the revision it reflects. */
  readonly #roster = new Map<string, Registration>();
  #rosterRevision = 0n;
  readonly #garbageLogged = new Set<string>();
  #lostLogged = false;
  #takenLogged = false;
  #viewKey = '';
  #members: Member[] = [];
  #changes = 0;
  #lastChangeAt: string | null = null;

  constructor(config: Config, log: Logger) {
    this.#cfg = config.cluster.membership;
    this.#clusterName = config.cluster.name;
    this.#log = log;
    this.#prefix = nodesPrefix(this.#cfg.etcd.prefix, this.#clusterName);
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
        if (late instanceof PropaneError) this.#reportTaken(late);
      });
    }
    if (outcome !== 'connected') this.#reportLost(outcome === 'pending' ? `no answer within ${START_BUDGET_MS} ms` : outcome);
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
    return {
      observedNodes: connected ? this.#members.filter((m) => m.ready).length : 0,
      state: connected ? 'measured' : 'store_unavailable',
      members: this.#members,
      store: {
        state: connected ? 'connected' : 'unavailable',
        endpoints: [...this.#cfg.etcd.endpoints],
        lease_seconds: this.#cfg.leaseSeconds,
        last_change_at: this.#lastChangeAt,
      },
      changes: this.#changes,
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
    if (this.#session) await this.#retire(this.#session);
  }

  async #retire(session: Session): Promise<void> {
    try {
      // Only our own key: after a partition another process may hold the id.
      await session.client.if(this.#key, 'Lease', '==', session.leaseId).then(session.client.delete().key(this.#key)).commit();
      await session.lease?.revoke();
    } catch {
      // The lease expires by itself within leaseSeconds.
    }
    closeSession(session);
  }

  #tick(): void {
    const now = performance.now();
    const session = this.#session;
    if (session && isStoreLost(this.#lastAnswerMs, now, this.#cfg.leaseSeconds)) {
      this.#lose(session, `no etcd endpoint answered for more than leaseSeconds (${this.#cfg.leaseSeconds})`);
    } else if (session) {
      this.#keepalive(session, now);
      this.#resync(session, now);
      this.#publish();
    } else if (!this.#connecting && !this.#stopping && now >= this.#nextAttemptMs) {
      void this.#connect().then((outcome) => {
        if (outcome instanceof PropaneError) this.#reportTaken(outcome);
      });
    }
  }

  #answered(): void {
    this.#lastAnswerMs = performance.now();
  }

  /** One attempt to register and read the members; never rejects. */
  #connect(): Promise<'connected' | string | PropaneError> {
    const attempt = this.#openSession().then(
      (session) => {
        if (this.#stopping) {
          void this.#retire(session);
          return 'stopping';
        }
        this.#session = session;
        this.#answered();
        this.#lastKeepaliveMs = this.#lastResyncMs = performance.now();
        this.#takenLogged = false;
        if (this.#lostLogged) {
          this.#lostLogged = false;
          logEvent(this.#log, 'info', 'membership_store_restored', { endpoints: this.#cfg.etcd.endpoints, node_key: this.#key }, 'etcd answers again; registered afresh');
        }
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
      this.#answered();
      await this.#register(session, self);
      const range = await client.getAll().prefix(this.#prefix).exec();
      this.#answered();
      this.#replaceRoster(range.kvs, BigInt(range.header.revision));
      const watcher = client.watch().prefix(this.#prefix).startRevision(String(this.#rosterRevision + 1n)).watcher();
      session.watcher = watcher;
      watcher.on('put', (kv: IKeyValue) => this.#onWatched(session, kv, 'put'));
      watcher.on('delete', (kv: IKeyValue) => this.#onWatched(session, kv, 'delete'));
      watcher.on('connected', () => this.#answered());
      watcher.on('error', (err: Error) => this.#lose(session, `the etcd watch was cancelled: ${err.message}`));
      await bounded(onceConnected(watcher), CALL_TIMEOUT_MS * 2, 'watch');
      return session;
    } catch (err) {
      closeSession(session);
      throw err;
    }
  }

  /** Creates the key only if absent, in one transaction; refuses when another live process holds the node id. */
  async #register(session: Session, self: SelfInfo): Promise<void> {
    const { client, leaseId } = session;
    const ready = this.#ready;
    const value = this.#value(ready);
    const txn = await client.if(this.#key, 'Create', '==', 0).then(client.put(this.#key).value(value).lease(leaseId)).else(client.get(this.#key)).commit();
    this.#answered();
    if (txn.succeeded) {
      session.publishedReady = ready;
      return;
    }
    const kv = txn.responses[0]?.response_range?.kvs[0];
    if (!kv) throw new Error('the registration key changed during the transaction');
    const holder = parseRegistration(this.#key, kv.value.toString('utf8'), this.#prefix);
    const mine: Registration = JSON.parse(value) as Registration;
    if (holder && !isSameProcess(holder, mine)) {
      await session.lease?.revoke().catch(() => undefined); // the store answers: leave no stray lease behind
      throw new PropaneError(
        'PROPANE_ERR_NODE_ID_TAKEN',
        `cluster.nodeId ${JSON.stringify(self.nodeId)} is already registered in etcd (${this.#key}) by a live process: host ${holder.host}, port ${holder.port}, pid ${holder.pid}, started ${holder.started_at}. Fix: give this node its own cluster.nodeId (ARLEN_CLUSTER_NODE_ID), or stop that process.`,
      );
    }
    // Our own registration from before the store was lost (or junk at our key): take it over with the new lease.
    const takeover = await client.if(this.#key, 'Mod', '==', kv.mod_revision).then(client.put(this.#key).value(value).lease(leaseId)).commit();
    this.#answered();
    if (!takeover.succeeded) throw new Error('the registration key changed during the takeover');
    session.publishedReady = ready;
  }

  #value(ready: boolean): string {
    const s = this.#self!;
    const reg: Registration = { node_id: s.nodeId, host: s.host, port: s.port, pid: s.pid, version: s.version, ready, started_at: s.startedAt };
    return JSON.stringify(reg);
  }

  /** Writes `ready` when it differs from what the store holds; one write at a time, retried by the tick. */
  #publish(): void {
    const session = this.#session;
    if (!session || this.#publishing || this.#stopping || session.publishedReady === this.#ready) return;
    const ready = this.#ready;
    this.#publishing = session.client
      .put(this.#key)
      .value(this.#value(ready))
      .lease(session.leaseId)
      .exec()
      .then(
        () => {
          this.#answered();
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

  #keepalive(session: Session, now: number): void {
    const intervalMs = (this.#cfg.leaseSeconds * 1000) / 3;
    if (this.#keepaliveInFlight || now - this.#lastKeepaliveMs < intervalMs || !session.lease) return;
    this.#keepaliveInFlight = true;
    this.#lastKeepaliveMs = now;
    session.lease
      .keepaliveOnce({ deadline: Date.now() + Math.min(CALL_TIMEOUT_MS, intervalMs) })
      .then(
        () => this.#answered(),
        () => {
          // A lease that is gone emits 'lost'. Anything else (a dead or hung member) is retried at once on another endpoint.
          this.#lastKeepaliveMs = performance.now() - intervalMs + KEEPALIVE_RETRY_MS;
        },
      )
      .finally(() => (this.#keepaliveInFlight = false));
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
          this.#answered();
          if (session !== this.#session) return;
          const revision = BigInt(range.header.revision);
          if (revision <= this.#rosterRevision) return;
          this.#replaceRoster(range.kvs, revision);
          this.#refreshView();
        },
        () => undefined,
      )
      .finally(() => (this.#resyncInFlight = false));
  }

  #replaceRoster(kvs: readonly IKeyValue[], revision: bigint): void {
    this.#roster.clear();
    for (const kv of kvs) this.#apply(kv, 'put');
    this.#rosterRevision = revision;
  }

  #onWatched(session: Session, kv: IKeyValue, type: 'put' | 'delete'): void {
    this.#answered();
    if (session !== this.#session) return;
    const revision = BigInt(kv.mod_revision);
    if (revision <= this.#rosterRevision) return; // already in a newer full read
    this.#rosterRevision = revision;
    this.#apply(kv, type);
    // Someone deleted our key while our lease lives: write it again.
    if (type === 'delete' && kv.key.toString('utf8') === this.#key && !this.#stopping) session.publishedReady = null;
    this.#refreshView();
    this.#publish();
  }

  #apply(kv: IKeyValue, type: 'put' | 'delete'): void {
    const key = kv.key.toString('utf8');
    if (type === 'delete') {
      this.#roster.delete(key);
      return;
    }
    const reg = parseRegistration(key, kv.value.toString('utf8'), this.#prefix);
    if (reg) {
      this.#roster.set(key, reg);
      return;
    }
    this.#roster.delete(key);
    if (!this.#garbageLogged.has(key)) {
      this.#garbageLogged.add(key);
      logEvent(this.#log, 'warn', 'membership_garbage', { key, value_bytes: kv.value.length }, 'ignoring a value under the membership prefix that is not a propane registration');
    }
  }

  #lose(session: Session, reason: string): void {
    if (session.closed) return;
    closeSession(session);
    if (session !== this.#session) return;
    this.#session = null;
    this.#nextAttemptMs = 0;
    this.#roster.clear();
    this.#reportLost(reason);
    this.#refreshView();
  }

  #reportLost(reason: string): void {
    if (this.#lostLogged) return;
    this.#lostLogged = true;
    logEvent(this.#log, 'warn', 'membership_store_lost', { endpoints: this.#cfg.etcd.endpoints, lease_seconds: this.#cfg.leaseSeconds, reason }, 'etcd unavailable: no member can be vouched for (observed_nodes 0)');
  }

  #reportTaken(err: PropaneError): void {
    if (this.#takenLogged) return;
    this.#takenLogged = true;
    logEvent(this.#log, 'error', 'membership_node_id_taken', { code: err.code, node_key: this.#key }, err.message);
  }

  /** Recomputes the member list; a change is counted, logged and pushed to every worker. */
  #refreshView(): void {
    const members = this.#connected ? viewRoster(this.#roster.values()).members : [];
    const key = JSON.stringify([this.#connected, members]);
    if (key === this.#viewKey) return;
    const membersChanged = JSON.stringify(members) !== JSON.stringify(this.#members);
    this.#viewKey = key;
    this.#members = members;
    if (membersChanged) {
      this.#changes++;
      this.#lastChangeAt = new Date().toISOString();
      logEvent(this.#log, 'info', 'membership_changed', { members, observed_nodes: members.filter((m) => m.ready).length, store: this.#connected ? 'connected' : 'unavailable' }, 'cluster membership changed');
    }
    this.#onChange();
  }

}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
