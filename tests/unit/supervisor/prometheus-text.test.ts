import t from 'tap';
import { renderExposition } from '../../../supervisor/prometheus-text.js';
import { parseExposition, promtoolProblems, requirePromtool, valueOf } from '../../helpers/prometheus.js';

const text = renderExposition([
  { name: 'x_quoted', help: 'Help with a \\ backslash\nand a newline', type: 'gauge', samples: [[{ path: 'a "b" \\c\nd' }, 1]] },
  { name: 'x_total', help: 'A counter', type: 'counter', samples: [[{}, 7], [{ kind: 'k' }, 0.5]] },
  { name: 'x_special', help: 'Special values', type: 'gauge', samples: [[{ v: 'nan' }, NaN], [{ v: 'inf' }, Infinity], [{ v: 'ninf' }, -Infinity]] },
  { name: 'x_seconds', help: 'A histogram', type: 'histogram', le: [0.005, 1], cumulative: [1, 3], sum: 2.25, count: 4 },
]);

t.test('escapes help text and label values as the text format requires', async (t) => {
  t.match(text, '# HELP x_quoted Help with a \\\\ backslash\\nand a newline\n');
  t.match(text, 'x_quoted{path="a \\"b\\" \\\\c\\nd"} 1\n');
  t.equal(valueOf(parseExposition(text), 'x_quoted', { path: 'a "b" \\c\nd' }), 1);
});

t.test('writes # HELP and # TYPE before every family, labels only where there are some', async (t) => {
  t.match(text, '# HELP x_total A counter\n# TYPE x_total counter\nx_total 7\nx_total{kind="k"} 0.5\n');
});

t.test('writes NaN and the infinities as Prometheus spells them', async (t) => {
  t.match(text, 'x_special{v="nan"} NaN\nx_special{v="inf"} +Inf\nx_special{v="ninf"} -Inf\n');
});

t.test('a histogram is cumulative buckets, +Inf equal to the count, then _sum and _count', async (t) => {
  t.match(text, '# TYPE x_seconds histogram\nx_seconds_bucket{le="0.005"} 1\nx_seconds_bucket{le="1"} 3\nx_seconds_bucket{le="+Inf"} 4\nx_seconds_sum 2.25\nx_seconds_count 4\n');
});

t.test('promtool accepts it', async (t) => {
  if (!requirePromtool(t)) return;
  t.equal(promtoolProblems(text), '');
});
