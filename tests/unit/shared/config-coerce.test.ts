import t from 'tap';
import { coerce, type ValueKind } from '../../../shared/config/coerce.js';
import { PropaneError } from '../../../shared/errors.js';

const ok: Array<{ name: string; raw: string; kind: ValueKind; want: unknown }> = [
  { name: 'an int from digits', raw: '8', kind: 'int', want: 8 },
  { name: 'an int with surrounding blanks', raw: ' 42 ', kind: 'int', want: 42 },
  { name: 'a negative int (range is the schema’s job)', raw: '-1', kind: 'int', want: -1 },
  { name: 'a decimal number', raw: '0.5', kind: 'number', want: 0.5 },
  { name: 'a number without leading digit', raw: '.25', kind: 'number', want: 0.25 },
  { name: 'an integral number', raw: '10', kind: 'number', want: 10 },
  { name: 'true', raw: 'true', kind: 'boolean', want: true },
  { name: 'yes in capitals', raw: 'YES', kind: 'boolean', want: true },
  { name: '1 as true', raw: '1', kind: 'boolean', want: true },
  { name: 'off as false', raw: 'off', kind: 'boolean', want: false },
  { name: '0 as false', raw: '0', kind: 'boolean', want: false },
  { name: 'a string, trimmed', raw: ' edge ', kind: 'string', want: 'edge' },
  { name: 'a comma list, trimmed, empties dropped', raw: 'http://a:2379, http://b:2379,,', kind: 'list', want: ['http://a:2379', 'http://b:2379'] },
  { name: 'an empty list', raw: '', kind: 'list', want: [] },
];

for (const c of ok) {
  t.test(`coerces ${c.name}`, async (t) => t.same(coerce(c.raw, c.kind, 'some.key', 'ARLEN_X'), c.want));
}

const bad: Array<{ name: string; raw: string; kind: ValueKind; what: RegExp }> = [
  { name: 'a word as an int', raw: 'lots', kind: 'int', what: /must be an integer; got "lots" from ARLEN_X\. Fix: give a whole number/ },
  { name: 'a decimal as an int', raw: '2.5', kind: 'int', what: /must be an integer; got "2\.5"/ },
  { name: 'an empty int', raw: '', kind: 'int', what: /must be an integer; got ""/ },
  { name: 'hex as an int', raw: '0x10', kind: 'int', what: /must be an integer/ },
  { name: 'a unit suffix as a number', raw: '10s', kind: 'number', what: /must be a number; got "10s" from ARLEN_X\. Fix: give a number/ },
  { name: 'Infinity as a number', raw: 'Infinity', kind: 'number', what: /must be a number/ },
  { name: 'maybe as a boolean', raw: 'maybe', kind: 'boolean', what: /must be a boolean; got "maybe" from ARLEN_X\. Fix: use true or false/ },
];

for (const c of bad) {
  t.test(`refuses ${c.name} with PROPANE_ERR_CONFIG_TYPE naming key, value, source and fix`, async (t) => {
    let caught: unknown;
    try {
      coerce(c.raw, c.kind, 'some.key', 'ARLEN_X');
    } catch (err) {
      caught = err;
    }
    t.type(caught, PropaneError);
    t.equal((caught as PropaneError).code, 'PROPANE_ERR_CONFIG_TYPE');
    t.equal((caught as PropaneError).exitCode, 2);
    t.match((caught as PropaneError).message, /^some\.key /);
    t.match((caught as PropaneError).message, c.what);
  });
}
