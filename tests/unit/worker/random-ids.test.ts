import t from 'tap';
import { randomId16, randomId32 } from '../../../worker/random-ids.js';

t.test('ids are lower hex of their length, fresh each time, across many refills of the pool', async (t) => {
  const seen32 = new Set<string>();
  const seen16 = new Set<string>();
  // 4 KiB of pool is 85 pairs of ids; 20,000 pairs refill it a few hundred times.
  for (let i = 0; i < 20_000; i++) {
    seen32.add(randomId32());
    seen16.add(randomId16());
  }
  t.equal(seen32.size, 20_000, 'no 32-character id repeats');
  t.equal(seen16.size, 20_000, 'no 16-character id repeats');
  t.ok([...seen32].every((id) => /^[0-9a-f]{32}$/.test(id) && id !== '0'.repeat(32)), '32 lower-hex characters, never all zeros');
  t.ok([...seen16].every((id) => /^[0-9a-f]{16}$/.test(id) && id !== '0'.repeat(16)), '16 lower-hex characters, never all zeros');
});
