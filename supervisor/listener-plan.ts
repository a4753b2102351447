import type { ProcessState } from './worker-process.js';

/**
 * The reuse_port policy's rules (docs/scheduling.md): which slot owns which
 * SO_REUSEPORT listening socket, which sockets close, and which workers
 * accept on each. Pure: snapshots in, a decision out; listener-sockets.ts
 * binds, sends and closes accordingly.
 */

/** A listening socket as the rules see it. */
export interface PlannedSocket {
  readonly id: number;
  /** The slot whose workers accept on it; null once that slot was retired and the socket kept open. */
  readonly owner: number | null;
  /** Whether a worker has listened on it: only then do connections queue on it. */
  readonly listening: boolean;
}

/** A live worker process as the rules see it. */
export interface PlannedWorker {
  readonly id: number;
  readonly slot: number;
  readonly state: ProcessState;
  /** It sent `listener_request`: its message listener exists, so a handle sent now is not lost. */
  readonly asked: boolean;
}

export interface SocketPlan {
  /** The owner slot of every socket that stays open (null: kept open without a slot, adopted). */
  readonly owners: ReadonlyMap<number, number | null>;
  /** Active slots with no socket: bind a new one for each. */
  readonly bind: readonly number[];
  /** Sockets to close (their slot retired and the kernel migrates their queue). */
  readonly close: readonly number[];
}

/**
 * Each active slot owns one socket for as long as the node serves, whatever
 * happens to its workers. A retired slot's socket loses its owner; an active
 * slot without a socket takes an ownerless one before a new one is bound.
 * An ownerless socket left over closes only when `queueMigrates`
 * (net.ipv4.tcp_migrate_req = 1): closing it otherwise resets the
 * connections queued on it, so it stays open and is adopted instead.
 */
export function planSockets(sockets: readonly PlannedSocket[], activeSlots: readonly number[], queueMigrates: boolean): SocketPlan {
  const active = new Set(activeSlots);
  const owners = new Map<number, number | null>();
  const owned = new Set<number>();
  for (const s of [...sockets].sort((a, b) => a.id - b.id)) {
    const keeps = s.owner !== null && active.has(s.owner) && !owned.has(s.owner);
    owners.set(s.id, keeps ? s.owner : null);
    if (keeps) owned.add(s.owner!);
  }
  const free = [...owners].filter(([, owner]) => owner === null).map(([id]) => id);
  const bind: number[] = [];
  for (const slot of activeSlots) {
    if (owned.has(slot)) continue;
    const reused = free.shift();
    if (reused === undefined) bind.push(slot);
    else owners.set(reused, slot);
  }
  const close = queueMigrates ? free : [];
  for (const id of close) owners.delete(id);
  return { owners, bind, close };
}

export interface ListenerAssignment {
  /** The workers that accept on the socket. */
  readonly holders: ReadonlySet<number>;
  /** The one among them that adopted it because its slot has no ready worker, or null. */
  readonly adopter: number | null;
}

/**
 * Who accepts on each socket. Every worker of the owner slot that asked for
 * it and is not draining (during a replacement, the old and the new worker
 * both). A socket that listens but whose slot has no ready worker (respawn
 * delay, crash-loop backoff, a retired slot's kept socket) would hold its
 * share of new connections with nobody accepting, so one ready worker of
 * another slot adopts it: the one that already does (`adopters`, by socket
 * id) if it still can, otherwise the one accepting on the fewest sockets.
 * With no ready worker at all, connections wait in the queue for the first.
 */
export function assignListeners(sockets: readonly PlannedSocket[], workers: readonly PlannedWorker[], adopters: ReadonlyMap<number, number>): Map<number, ListenerAssignment> {
  const serving = workers.filter((w) => w.asked && w.state !== 'draining');
  const ready = serving.filter((w) => w.state === 'ready').sort((a, b) => a.slot - b.slot || a.id - b.id);
  const load = new Map(ready.map((w) => [w.id, 0]));
  const assigned = new Map<number, ListenerAssignment>();
  const orphans: PlannedSocket[] = [];
  for (const s of [...sockets].sort((a, b) => a.id - b.id)) {
    const own = serving.filter((w) => w.slot === s.owner);
    for (const w of own) if (load.has(w.id)) load.set(w.id, load.get(w.id)! + 1);
    assigned.set(s.id, { holders: new Set(own.map((w) => w.id)), adopter: null });
    if (s.listening && !own.some((w) => w.state === 'ready')) orphans.push(s);
  }
  for (const s of orphans) {
    const current = adopters.get(s.id);
    const adopter = current !== undefined && load.has(current) ? current : leastLoaded(ready, load);
    if (adopter === undefined) continue;
    load.set(adopter, load.get(adopter)! + 1);
    assigned.set(s.id, { holders: new Set([...assigned.get(s.id)!.holders, adopter]), adopter });
  }
  return assigned;
}

function leastLoaded(ready: readonly PlannedWorker[], load: ReadonlyMap<number, number>): number | undefined {
  let best: PlannedWorker | undefined;
  for (const w of ready) if (best === undefined || load.get(w.id)! < load.get(best.id)!) best = w;
  return best?.id;
}
