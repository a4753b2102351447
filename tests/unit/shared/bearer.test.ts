import t from 'tap';
import { bearerMatches } from '../../../shared/bearer.js';

const TOKEN = 'token-0123456789abcdef';

for (const c of [
  { name: 'accepts the exact token', header: `Bearer ${TOKEN}`, want: true },
  { name: 'accepts the scheme in any case', header: `bearer ${TOKEN}`, want: true },
  { name: 'refuses a missing header', header: undefined, want: false },
  { name: 'refuses an empty header', header: '', want: false },
  { name: 'refuses another scheme', header: `Basic ${TOKEN}`, want: false },
  { name: 'refuses a wrong token of the same length', header: `Bearer ${TOKEN.replace('0', '1')}`, want: false },
  { name: 'refuses a prefix of the token', header: `Bearer ${TOKEN.slice(0, -1)}`, want: false },
  { name: 'refuses the token with trailing junk', header: `Bearer ${TOKEN} x`, want: false },
  { name: 'refuses the bare token', header: TOKEN, want: false },
]) {
  t.test(c.name, async (t) => t.equal(bearerMatches(c.header, TOKEN), c.want));
}
