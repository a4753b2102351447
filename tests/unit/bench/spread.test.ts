import t from 'tap';
import { perWorker, summarizeSpread } from '../../../bench/spread.js';

for (const c of [
  { name: 'counts each worker once per connection it answered, most first', pids: [7, 9, 9, 7, 9], workers: 2, want: [3, 2] },
  { name: 'counts a worker that answered none as 0', pids: [7, 7, 7], workers: 2, want: [3, 0] },
  { name: 'counts every worker as 0 when nothing answered', pids: [], workers: 3, want: [0, 0, 0] },
  { name: 'keeps an even split even', pids: [1, 2, 3, 1, 2, 3], workers: 3, want: [2, 2, 2] },
]) {
  t.test(`perWorker ${c.name}`, async (t) => t.same(perWorker(c.pids, c.workers), c.want));
}

t.test('perWorker refuses more distinct pids than workers', async (t) => {
  t.throws(() => perWorker([1, 2, 3], 2), { message: '3 distinct worker pids answered, but there are 2 workers' });
});

t.test('summarizeSpread gives the fewest and most any worker got over the rounds, and every round', async (t) => {
  t.same(summarizeSpread([[25, 25], [43, 7], [50, 0], [26, 24]]), { min: 0, max: 50, rounds: ['25/25', '43/7', '50/0', '26/24'] });
});

t.test('summarizeSpread of one even round has min and max equal', async (t) => {
  t.same(summarizeSpread([[25, 25]]), { min: 25, max: 25, rounds: ['25/25'] });
});

t.test('summarizeSpread refuses no rounds', async (t) => {
  t.throws(() => summarizeSpread([]), { message: 'no rounds to summarize' });
});
