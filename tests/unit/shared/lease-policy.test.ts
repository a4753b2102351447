import t from 'tap';
import { LeaseAccount, leasePolicy } from '../../../shared/lease-policy.js';

for (const c of [
  { name: 'a limit below four per worker leases one permit at a time', limit: 12, workers: 4, want: { batch: 1, lowWater: 0, highWater: 2 } },
  { name: 'the default limit on two workers leases 32 at a time', limit: 256, workers: 2, want: { batch: 32, lowWater: 8, highWater: 64 } },
  { name: 'a large limit caps the batch at 64', limit: 100_000, workers: 2, want: { batch: 64, lowWater: 16, highWater: 128 } },
  { name: 'a limit of 1 still leases one permit', limit: 1, workers: 8, want: { batch: 1, lowWater: 0, highWater: 2 } },
  { name: 'zero workers counts as one', limit: 40, workers: 0, want: { batch: 10, lowWater: 2, highWater: 20 } },
]) {
  t.test(c.name, async (t) => t.same(leasePolicy(c.limit, c.workers), c.want));
}

t.test('a lease account admits exactly what it was granted', async (t) => {
  const a = new LeaseAccount();
  t.equal(a.tryAcquire(), false, 'nothing granted, nothing admitted');
  a.grant(2);
  t.equal(a.tryAcquire(), true);
  t.equal(a.tryAcquire(), true);
  t.equal(a.tryAcquire(), false, 'the third session finds no permit');
  t.same({ granted: a.granted, inUse: a.inUse, free: a.free }, { granted: 2, inUse: 2, free: 0 });
  a.release();
  t.equal(a.free, 1);
});

t.test('surrender gives back only free permits, up to the maximum asked', async (t) => {
  const a = new LeaseAccount();
  a.grant(5);
  a.tryAcquire();
  a.tryAcquire();
  t.equal(a.surrender(1), 1, 'capped by max');
  t.equal(a.surrender(), 2, 'the rest of the free permits');
  t.equal(a.surrender(), 0, 'permits in use are never surrendered');
  t.same({ granted: a.granted, inUse: a.inUse }, { granted: 2, inUse: 2 });
});

t.test('releasing without a permit in use throws instead of minting one', async (t) => {
  const a = new LeaseAccount();
  a.grant(1);
  t.throws(() => a.release(), /without a permit in use/);
});
