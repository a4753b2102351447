import t from 'tap';
import { LeaseAccount } from '../../../shared/lease-policy.js';
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

/**
 * A model of the real protocol: grants and returns travel as messages that
 * arrive later (or never, when the receiver died), workers spend and release
 * permits locally, reclaims take every free permit, workers die and are
 * respawned under new ids. After every step: sum(inUse) <= sum(granted) <= leased <= limit.
 */
t.test('randomized interleavings of grants, returns, reclaims and deaths never exceed the limit', async (t) => {
  const SEEDS = [1, 2, 3, 42, 1337, 20260101, 987654321];
  const STEPS = 4000;
  for (const seed of SEEDS) {
    const rand = prng(seed);
    const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(rand() * xs.length)];
    const limit = 1 + Math.floor(rand() * 40);
    const ledger = new Ledger('http', limit);
    const accounts = new Map<number, LeaseAccount>();
    let nextId = 1;
    for (let i = 0; i < 1 + Math.floor(rand() * 8); i++) accounts.set(nextId++, new LeaseAccount());
    const toWorker: Array<{ worker: number; count: number }> = [];
    const toSupervisor: Array<{ worker: number; count: number }> = [];
    let failure = '';
    let fullSteps = 0;
    let deaths = 0;
    for (let step = 0; step < STEPS && !failure; step++) {
      const ids = [...accounts.keys()];
      const op = Math.floor(rand() * 9);
      const id = pick(ids);
      const acct = id === undefined ? undefined : accounts.get(id);
      if (op === 0 && id !== undefined) {
        const count = ledger.grant(id, Math.floor(rand() * 6));
        if (count > 0) toWorker.push({ worker: id, count });
      } else if (op === 1 && toWorker.length > 0) {
        const [msg] = toWorker.splice(Math.floor(rand() * toWorker.length), 1);
        accounts.get(msg!.worker)?.grant(msg!.count);
      } else if ((op === 2 || op === 3) && acct) {
        acct.tryAcquire();
      } else if (op === 4 && acct && acct.inUse > 0) {
        acct.release();
      } else if (op === 5 && acct) {
        const count = acct.surrender(Math.floor(rand() * 4));
        if (count > 0) toSupervisor.push({ worker: id!, count });
      } else if (op === 6) {
        for (const [w, a] of accounts) {
          const count = a.surrender();
          if (count > 0) toSupervisor.push({ worker: w, count });
        }
      } else if (op === 7 && toSupervisor.length > 0) {
        const [msg] = toSupervisor.splice(Math.floor(rand() * toSupervisor.length), 1);
        ledger.giveBack(msg!.worker, msg!.count);
      } else if (op === 8 && id !== undefined && rand() < 0.3) {
        // A death closes the worker's sessions with it; its messages in flight either land first or are dropped.
        accounts.delete(id);
        ledger.forget(id);
        deaths++;
        for (let i = toWorker.length - 1; i >= 0; i--) if (toWorker[i]!.worker === id) toWorker.splice(i, 1);
        accounts.set(nextId++, new LeaseAccount());
      }
      let inUse = 0;
      let granted = 0;
      for (const [w, a] of accounts) {
        inUse += a.inUse;
        granted += a.granted;
        if (a.granted > ledger.heldBy(w)) failure = `step ${step}: worker ${w} believes it holds ${a.granted} > ledger ${ledger.heldBy(w)}`;
        if (a.inUse > a.granted) failure = `step ${step}: worker ${w} uses ${a.inUse} > granted ${a.granted}`;
      }
      if (!(inUse <= granted && granted <= ledger.leased && ledger.leased <= limit)) {
        failure = `step ${step}: inUse ${inUse}, granted ${granted}, leased ${ledger.leased}, limit ${limit}`;
      }
      if (ledger.leased === limit) fullSteps++;
    }
    t.equal(failure, '', `seed ${seed}, limit ${limit}: invariant held for ${STEPS} steps`);
    t.ok(fullSteps > 0 && deaths > 0, `seed ${seed} drove the pool to its limit (${fullSteps} steps) and killed workers (${deaths})`);
  }
});
