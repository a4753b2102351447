import t from 'tap';
import { enqueue, oneLine } from '../../../supervisor/sd-notify.js';

const STATUS_A = ['STATUS=a'];
const PING = ['WATCHDOG=1'];

for (const c of [
  { name: 'an empty queue takes any message', queue: [], add: ['READY=1', 'STATUS=x'], want: [['READY=1', 'STATUS=x']] },
  { name: 'a watchdog ping already waiting makes another moot', queue: [PING, STATUS_A], add: PING, want: [PING, STATUS_A] },
  { name: 'a ping is queued behind other messages', queue: [STATUS_A], add: PING, want: [STATUS_A, PING] },
  { name: 'a newer status line replaces one still waiting at the end', queue: [['READY=1', 'STATUS=r'], STATUS_A], add: ['STATUS=b'], want: [['READY=1', 'STATUS=r'], ['STATUS=b']] },
  { name: 'a status line never replaces a state message', queue: [['STOPPING=1', 'STATUS=s']], add: ['STATUS=b'], want: [['STOPPING=1', 'STATUS=s'], ['STATUS=b']] },
  { name: 'state messages are all kept, in order', queue: [['RELOADING=1', 'MONOTONIC_USEC=1']], add: ['READY=1'], want: [['RELOADING=1', 'MONOTONIC_USEC=1'], ['READY=1']] },
  { name: 'a newline in a field cannot inject another field', queue: [], add: ['STATUS=boom\nREADY=1'], want: [['STATUS=boom READY=1']] },
]) {
  t.test(c.name, async (t) => t.same(enqueue(c.queue, c.add), c.want));
}

t.test('oneLine turns every run of control characters into one space', async (t) => {
  t.equal(oneLine('a\r\nb\tc\u0000d\u007fe'), 'a b c d e');
  t.equal(oneLine('-starts with a dash'), '-starts with a dash');
});
