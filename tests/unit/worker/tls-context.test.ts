import t from 'tap';
import { lookupServerName } from '../../../worker/tls-context.js';

const contexts = new Map([
  ['alpha.test', 'alpha'],
  ['*.alpha.test', 'any-alpha'],
  ['beta.test', 'beta'],
]);

for (const c of [
  { name: 'an exact name', in: 'beta.test', want: 'beta' },
  { name: 'an exact name wins over the wildcard of its parent', in: 'alpha.test', want: 'alpha' },
  { name: 'a wildcard covers one label below its parent', in: 'www.alpha.test', want: 'any-alpha' },
  { name: 'a wildcard does not cover two labels, as certificates do not', in: 'a.b.alpha.test', want: undefined },
  { name: 'names match without regard to case (Node 20 addContext would not)', in: 'WWW.Alpha.TEST', want: 'any-alpha' },
  { name: 'an unknown name gets the default certificate', in: 'gamma.test', want: undefined },
  { name: 'a single label has no parent', in: 'localhost', want: undefined },
]) {
  t.test(c.name, async (t) => t.equal(lookupServerName(contexts, c.in), c.want));
}
