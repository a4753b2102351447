import t from 'tap';
import { LeaseAccount, LimitView } from '../../../shared/lease-policy.js';
import { Ledger } from '../../../supervisor/ledger.js';

t.test('grant hands out no more than the pool holds', async (t) => {
  for (const c of [
    { name: 'a grant within the pool is whole', limit: 10, grants: [[1, 4]], want: [4], leased: 4 },
    { name: 'a grant past the pool is cut to what is left', limit: 10, grants: [[1, 8], [2, 8]], want: [8, 2], leased: 10 },
    { name: 'an empty pool grants 0', limit: 3, grants: [[1, 3], [2, 1]], want: [3, 0], leased: 3 },
    { name: 'a negative or fractional want grants what it truncates to', limit: 10, grants: [[1, -2], [1, 2.9]], want: [0, 2], leased: 2 },
  ]) {
    t.test(c.name, async (t) => {
      const l = new Ledger('http', c.limit);
      t.same(c.grants.map(([w, n]) => l.grant(w!, n!)), c.want);
      t.equal(l.leased, c.leased);
      t.equal(l.free, c.limit - c.leased);
    });
  }
});

t.test('giveBack returns at most what the worker holds, whatever it claims', async (t) => {
  const l = new Ledger('http', 10);
  l.grant(1, 4);
  l.grant(2, 3);
  t.equal(l.giveBack(1, 9), 4, 'a worker cannot return permits it never had');
  t.equal(l.giveBack(3, 1), 0, 'an unknown worker returns nothing');
  t.equal(l.giveBack(2, -5), 0);
  t.equal(l.leased, 3);
  t.same(l.holders(), [2], 'a worker with nothing left is no longer a holder');
});

t.test('forget returns everything a dead worker held at once', async (t) => {
  const l = new Ledger('websocket', 10);
  l.grant(1, 6);
  l.grant(2, 4);
  t.equal(l.forget(1), 6);
  t.equal(l.forget(1), 0, 'forgetting twice returns nothing twice');
  t.equal(l.leased, 4);
  t.equal(l.grant(3, 10), 6, 'the freed permits serve the next worker');
});

t.test('a lowered limit stops grants until leases fall below it, never goes negative', async (t) => {
  const l = new Ledger('http', 10);
  l.grant(1, 8);
  l.setLimit(4);
  t.equal(l.free, 0);
  t.equal(l.grant(2, 1), 0);
  l.giveBack(1, 5);
  t.equal(l.free, 1);
  t.equal(l.grant(2, 5), 1);
});

t.test('the node is marked full only with an empty pool; the first permit back lifts it; each change is a new generation', async (t) => {
  const l = new Ledger('http', 3);
  l.grant(1, 2);
  t.throws(() => l.markReached(), /marked full with 1 permits in the pool/, 'never full while the pool has a permit');
  l.grant(2, 1);
  t.same([l.markReached(), l.reached, l.generation], [true, true, 1]);
  t.same([l.markReached(), l.generation], [false, 1], 'marking it again is no news');
  l.giveBack(2, 0);
  t.equal(l.reached, true, 'returning nothing lifts nothing');
  l.giveBack(2, 1);
  t.same([l.reached, l.generation], [false, 2], 'a release lifts it');
  l.grant(3, 1);
  l.markReached();
  l.forget(1);
  t.same([l.reached, l.generation], [false, 4], 'so does a death');
  l.grant(4, 2);
  l.markReached();
  l.setLimit(2);
  t.equal(l.reached, true, 'a lowered limit keeps it full');
  l.setLimit(5);
  t.same([l.reached, l.generation], [false, 6], 'a raised limit lifts it');
});

t.test('a worker applies pushes newer than what it saw and drops the stale', async (t) => {
  const v = new LimitView();
  t.same([v.apply(2, true), v.reached], [true, true]);
  t.same([v.apply(2, false), v.reached], [false, true], 'a repeat of a generation changes nothing');
  t.same([v.apply(1, false), v.reached], [false, true], 'an older one neither');
  t.same([v.apply(3, false), v.reached, v.generation], [true, false, 3]);
});

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type ToWorker = { type: 'grant'; count: number } | { type: 'push'; generation: number; reached: boolean };

/**
 * A model of the real protocol: grants and full-node pushes travel to each
 * worker in order (one IPC channel each) and arrive later, or never when the
 * receiver died; returns travel back; workers spend and release permits
 * locally; reclaims take every free permit; workers die and are respawned
 * under new ids. A request answered short marks the node full (only with an
 * empty pool), which is pushed to every worker, or again to the asker alone
 * when it was already full; any permit back in the pool lifts it, pushed
 * too. A worker that hears "full", or releases while full, hands back every
 * free permit, as worker/admission.ts does; while full it refuses locally.
 * Old pushes are also replayed to workers, as stale copies. Steps come in
 * phases that fill the node and that churn it, so it is often full.
 *
 * After every step: sum(inUse) <= sum(granted) <= leased <= limit, and
 * full implies an empty pool. Whenever nothing is in flight: no worker
 * believes the node full unless it is, and a full node has every permit in
 * use (sum(inUse) = limit): once the pushes have arrived, no worker refuses
 * while a permit sits idle.
 */
t.test('randomized interleavings of grants, returns, reclaims, full-node pushes and deaths never exceed the limit or strand a permit', async (t) => {
  const SEEDS = [1, 2, 3, 42, 1337, 20260101, 987654321];
  const STEPS = 6000;
  for (const seed of SEEDS) {
    const rand = prng(seed);
    const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
    const limit = 1 + Math.floor(rand() * 40);
    const ledger = new Ledger('http', limit);
    interface Worker {
      acct: LeaseAccount;
      view: LimitView;
      inbox: ToWorker[];
      seen: Array<Extract<ToWorker, { type: 'push' }>>;
    }
    const workers = new Map<number, Worker>();
    let nextId = 1;
    const spawn = (): void => {
      workers.set(nextId++, { acct: new LeaseAccount(), view: new LimitView(), inbox: [], seen: [] });
    };
    for (let i = 0; i < 1 + Math.floor(rand() * 8); i++) spawn();
    const toSupervisor: Array<{ worker: number; count: number }> = [];
    const tally = { full: 0, lifts: 0, localRefusals: 0, stale: 0, quiescentFull: 0, deaths: 0 };
    let failure = '';

    const returnFree = (id: number, max = Infinity): void => {
      const count = workers.get(id)!.acct.surrender(max);
      if (count > 0) toSupervisor.push({ worker: id, count });
    };
    const push = (id: number): void => {
      workers.get(id)?.inbox.push({ type: 'push', generation: ledger.generation, reached: ledger.reached });
    };
    /** A ledger change that may lift a full node: the lift goes to every worker. */
    const releasing = (change: () => unknown): void => {
      const before = ledger.generation;
      change();
      if (ledger.generation === before) return;
      tally.lifts++;
      for (const id of workers.keys()) push(id);
    };
    const deliverToWorker = (id: number): void => {
      const w = workers.get(id)!;
      const msg = w.inbox.shift();
      if (msg?.type === 'grant') w.acct.grant(msg.count);
      else if (msg) {
        w.seen.push(msg);
        if (w.view.apply(msg.generation, msg.reached) && msg.reached) returnFree(id);
      }
    };
    const deliverToSupervisor = (): void => {
      const [msg] = toSupervisor.splice(Math.floor(rand() * toSupervisor.length), 1);
      if (msg && workers.has(msg.worker)) releasing(() => ledger.giveBack(msg.worker, msg.count));
    };
    const actions: Record<string, (id: number, w: Worker) => void> = {
      grant: (id, w) => {
        const count = ledger.grant(id, Math.floor(rand() * 6));
        if (count > 0) w.inbox.push({ type: 'grant', count });
      },
      deliver: (id) => deliverToWorker(id),
      back: () => deliverToSupervisor(),
      acquire: (_id, w) => {
        if (!w.acct.tryAcquire() && w.view.reached) tally.localRefusals++;
      },
      release: (id, w) => {
        if (w.acct.inUse === 0) return;
        w.acct.release();
        if (w.view.reached) returnFree(id);
      },
      surplus: (id) => returnFree(id, Math.floor(rand() * 4)),
      reclaim: () => {
        for (const id of workers.keys()) returnFree(id);
      },
      short: (id) => {
        // A request answered short: the broker grants only from the pool, so this needs it empty.
        if (ledger.free > 0) return;
        if (ledger.markReached()) for (const wid of workers.keys()) push(wid);
        else push(id);
      },
      stale: (id, w) => {
        const old = pick(w.seen);
        if (!old) return;
        const before = w.view.generation;
        if (w.view.apply(old.generation, old.reached)) failure = `worker ${id} applied a push of generation ${old.generation} after ${before}`;
        tally.stale++;
      },
      die: (id) => {
        // A death closes the worker's sessions with it; its messages in flight either land first or are dropped.
        workers.delete(id);
        releasing(() => ledger.forget(id));
        tally.deaths++;
        spawn();
      },
      settle: () => {
        for (let rounds = 0; rounds < 100 && (toSupervisor.length > 0 || [...workers.values()].some((w) => w.inbox.length > 0)); rounds++) {
          for (const id of [...workers.keys()].sort(() => rand() - 0.5)) while (workers.get(id)!.inbox.length > 0) deliverToWorker(id);
          while (toSupervisor.length > 0) deliverToSupervisor();
        }
      },
    };
    const fill = { grant: 6, deliver: 8, back: 3, acquire: 16, release: 1, surplus: 1, short: 3, stale: 1, settle: 2 };
    const churn = { grant: 2, deliver: 6, back: 4, acquire: 3, release: 5, surplus: 2, reclaim: 1, short: 2, stale: 1, die: 1, settle: 1 };
    const choose = (weights: Record<string, number>): string => {
      let r = rand() * Object.values(weights).reduce((a, b) => a + b, 0);
      for (const [name, weight] of Object.entries(weights)) if ((r -= weight) < 0) return name;
      return 'settle';
    };

    for (let step = 0; step < STEPS && !failure; step++) {
      const id = pick([...workers.keys()])!;
      actions[choose(Math.floor(step / 300) % 2 === 0 ? fill : churn)]!(id, workers.get(id)!);
      let inUse = 0;
      let granted = 0;
      for (const [wid, w] of workers) {
        inUse += w.acct.inUse;
        granted += w.acct.granted;
        if (w.acct.granted > ledger.heldBy(wid)) failure = `worker ${wid} believes it holds ${w.acct.granted} > ledger ${ledger.heldBy(wid)}`;
        if (w.acct.inUse > w.acct.granted) failure = `worker ${wid} uses ${w.acct.inUse} > granted ${w.acct.granted}`;
      }
      if (!(inUse <= granted && granted <= ledger.leased && ledger.leased <= limit)) failure = `inUse ${inUse}, granted ${granted}, leased ${ledger.leased}, limit ${limit}`;
      if (ledger.reached && ledger.free > 0) failure = `full with ${ledger.free} permits in the pool`;
      if (ledger.reached) tally.full++;
      if (toSupervisor.length === 0 && [...workers.values()].every((w) => w.inbox.length === 0)) {
        const believer = [...workers].find(([, w]) => w.view.reached && !ledger.reached);
        if (believer) failure = `worker ${believer[0]} refuses locally, but the node is not full`;
        if (ledger.reached && inUse !== limit) failure = `the node is full with ${inUse} of ${limit} permits in use`;
        if (ledger.reached) tally.quiescentFull++;
      }
      if (failure) failure = `step ${step}: ${failure}`;
    }
    t.equal(failure, '', `seed ${seed}, limit ${limit}: every invariant held for ${STEPS} steps`);
    t.ok(Object.values(tally).every((n) => n > 0), `seed ${seed} went through every state: ${JSON.stringify(tally)}`);
  }
});
