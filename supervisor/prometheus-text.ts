/**
 * The Prometheus text exposition format 0.0.4, written by hand: # HELP and
 * # TYPE per family, escaped label values and help text, histograms as
 * cumulative `_bucket{le}` samples ending at `+Inf`, then `_sum` and `_count`.
 * Every value /metrics shows is computed at scrape time anyway, so a client
 * library had nothing left to do but format, and prom-client was the largest
 * thing left in the supervisor's memory: measured with 8 workers on Node 24
 * under load (bench/supervisor-rss.ts, 3 runs), the supervisor peaked at
 * 79.0-79.5 MB with it, against a budget of 80 MB, and 74.3-75.1 MB without
 * (bench/RESULTS.md, "Supervisor RSS"). tests/unit/supervisor/metrics.test.ts
 * runs `promtool check metrics` on the output.
 */

export type Labels = Readonly<Record<string, string>>;

export type Family =
  | { name: string; help: string; type: 'gauge' | 'counter'; samples: ReadonlyArray<readonly [Labels, number]> }
  | { name: string; help: string; type: 'histogram'; le: readonly number[]; cumulative: readonly number[]; sum: number; count: number };

export function renderExposition(families: readonly Family[]): string {
  return families.map(renderFamily).join('\n');
}

function renderFamily(f: Family): string {
  let out = `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
  if (f.type !== 'histogram') {
    for (const [labels, value] of f.samples) out += sample(f.name, labels, value);
    return out;
  }
  f.le.forEach((le, i) => (out += sample(`${f.name}_bucket`, { le: formatValue(le) }, f.cumulative[i] ?? 0)));
  out += sample(`${f.name}_bucket`, { le: '+Inf' }, f.count);
  return out + sample(`${f.name}_sum`, {}, f.sum) + sample(`${f.name}_count`, {}, f.count);
}

function sample(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}\n`;
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (s: string): string => escapeHelp(s).replace(/"/g, '\\"');
