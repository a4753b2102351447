import { IPC_SCHEMA_VERSION } from '../contracts/ipc.js';
import { logEvent, type Logger } from '../shared/log.js';
import { assignListeners, planSockets, type PlannedSocket } from './listener-plan.js';
import { bindReusePort, prepareListenAddress, type ListenAddress, type TcpHandle } from './reuse-port-bind.js';
import { readTcpMigrateReq } from './tcp-migrate-req.js';
import type { WorkerPool } from './worker-pool.js';
import type { WorkerProcess } from './worker-process.js';

/** What the sockets need from the supervisor that owns them. */
export interface ListenerSocketsHost {
  readonly log: Logger;
  readonly host: string;
  readonly port: number;
  readonly pool: Pick<WorkerPool, 'activeSlots' | 'workers' | 'markBootFailed'>;
}

interface OpenSocket extends PlannedSocket {
  owner: number | null;
  listening: boolean;
  readonly handle: TcpHandle;
}

/**
 * The reuse_port policy's listening sockets (docs/scheduling.md). The
 * supervisor binds one SO_REUSEPORT socket per slot and never listens on it
 * itself; it sends it, as an IPC handle, to the workers that should accept
 * on it (listener-plan.ts decides which). Its own copy keeps the socket open
 * whatever the workers do: a worker that drains or dies only closes its
 * copy, so the connections queued on the socket wait for the next worker
 * instead of being reset. No socket closes while the node serves, except a
 * retired slot's when net.ipv4.tcp_migrate_req is 1.
 */
export class ListenerSockets {
  readonly #host: ListenerSocketsHost;
  readonly #sockets = new Map<number, OpenSocket>();
  /** The workers each socket was sent to and not released from; a worker that drains or exits closes its copies itself. */
  readonly #holders = new Map<number, Set<number>>();
  readonly #adopters = new Map<number, number>();
  /** Workers that sent listener_request: a handle sent before its message listener exists would be lost. */
  readonly #asked = new Set<number>();
  #at: ListenAddress | null = null;
  #bindError: string | null = null;
  #nextId = 0;
  #closed = false;

  constructor(host: ListenerSocketsHost) {
    this.#host = host;
  }

  /** Binds a socket for each of the first `slots` slots; throws PROPANE_ERR_LISTEN (or _PLATFORM_UNSUPPORTED) and leaves nothing open. */
  async open(slots: number): Promise<void> {
    this.#at = await prepareListenAddress(this.#host.host, this.#host.port);
    try {
      for (let slot = 0; slot < slots; slot++) this.#bind(slot);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** The worker is ready to listen: its slot's socket goes to it. */
  onRequest(wp: WorkerProcess): void {
    this.#asked.add(wp.id);
    this.rebalance();
  }

  /** After any change of slots or workers (fork, ready, drain, exit, resize): bind, close, send and release what the rules say. */
  rebalance(): void {
    if (this.#at === null || this.#closed) return;
    const workers = [...this.#host.pool.workers()].filter((wp) => wp.isAlive);
    const serving = new Set(workers.filter((wp) => wp.state !== 'draining').map((wp) => wp.id));
    for (const id of this.#asked) if (!workers.some((wp) => wp.id === id)) this.#asked.delete(id);
    for (const holders of this.#holders.values()) for (const id of holders) if (!serving.has(id)) holders.delete(id);
    this.#replan();

    const planned = workers.map((wp) => ({ id: wp.id, slot: wp.slot, state: wp.state, asked: this.#asked.has(wp.id) }));
    const byId = new Map(workers.map((wp) => [wp.id, wp]));
    for (const [id, { holders: wanted, adopter }] of assignListeners([...this.#sockets.values()], planned, this.#adopters)) {
      const socket = this.#sockets.get(id)!;
      const holders = this.#holders.get(id)!;
      for (const wid of holders) {
        if (wanted.has(wid)) continue;
        holders.delete(wid);
        const wp = byId.get(wid)!;
        wp.send({ type: 'listener_release', schema_version: IPC_SCHEMA_VERSION, socket: id });
        logEvent(this.#host.log, 'info', 'listener_returned', { socket: id, owner_slot: socket.owner, slot: wp.slot, worker_pid: wp.pid }, 'adopted listening socket handed back');
      }
      for (const wid of wanted) {
        if (holders.has(wid)) continue;
        holders.add(wid);
        socket.listening = true;
        const wp = byId.get(wid)!;
        wp.sendWithHandle({ type: 'listener_socket', schema_version: IPC_SCHEMA_VERSION, socket: id, adopted: wid === adopter }, socket.handle);
        if (wid === adopter) logEvent(this.#host.log, 'info', 'listener_adopted', { socket: id, owner_slot: socket.owner, slot: wp.slot, worker_pid: wp.pid }, 'a ready worker accepts on a listening socket whose slot has no ready worker');
      }
      if (adopter === null) this.#adopters.delete(id);
      else this.#adopters.set(id, adopter);
    }
    const owned = new Set([...this.#sockets.values()].map((s) => s.owner));
    for (const wp of workers) {
      // Waiting for a socket its slot does not have (binding one failed): it fails as a listen failure would, and respawns.
      if (wp.state === 'starting' && this.#asked.has(wp.id) && !owned.has(wp.slot) && wp.bootError === null) {
        this.#host.pool.markBootFailed(wp, 'listen', { message: this.#bindError ?? 'no listening socket for its slot' });
        wp.kill();
      }
    }
  }

  /** Closes the supervisor's copy of every socket (shutdown): each closes once its workers' copies are closed too. Safe twice. */
  close(): void {
    this.#closed = true;
    for (const s of this.#sockets.values()) s.handle.close();
    this.#sockets.clear();
    this.#holders.clear();
    this.#adopters.clear();
  }

  /** Owners follow the active slots: a retired slot's socket is kept (adopted) or closed, an added slot gets one. */
  #replan(): void {
    const migrateReq = readTcpMigrateReq();
    const plan = planSockets([...this.#sockets.values()], this.#host.pool.activeSlots().map((slot) => slot.index), migrateReq === 1);
    for (const id of plan.close) {
      const socket = this.#sockets.get(id)!;
      for (const wid of this.#holders.get(id)!) [...this.#host.pool.workers()].find((wp) => wp.id === wid)?.send({ type: 'listener_release', schema_version: IPC_SCHEMA_VERSION, socket: id });
      socket.handle.close();
      this.#sockets.delete(id);
      this.#holders.delete(id);
      this.#adopters.delete(id);
      logEvent(this.#host.log, 'info', 'listener_retired', { socket: id, slot: socket.owner, closed: true, tcp_migrate_req: migrateReq }, 'retired slot: its listening socket closed; the kernel moves its queued connections to the other sockets');
    }
    for (const [id, owner] of plan.owners) {
      const socket = this.#sockets.get(id)!;
      if (socket.owner !== null && owner === null) {
        logEvent(this.#host.log, 'warn', 'listener_retired', { socket: id, slot: socket.owner, closed: false, tcp_migrate_req: migrateReq }, 'retired slot: its listening socket stays open, adopted by another worker, because closing it would reset the connections queued on it; set net.ipv4.tcp_migrate_req=1 to let it close (docs/scheduling.md)');
      }
      socket.owner = owner;
    }
    for (const slot of plan.bind) {
      try {
        this.#bind(slot);
      } catch (err) {
        this.#bindError = err instanceof Error ? err.message : String(err);
      }
    }
  }

  #bind(slot: number): void {
    const handle = bindReusePort(this.#at!);
    const id = this.#nextId++;
    this.#sockets.set(id, { id, owner: slot, listening: false, handle });
    this.#holders.set(id, new Set());
  }
}
