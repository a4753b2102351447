import { spawnSync } from 'node:child_process';

/** A small parser of the Prometheus text exposition (format 0.0.4), enough for tests to read /metrics. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? out.help : out.type).set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.samples.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  const n = Number(v);
  if (Number.isNaN(n) && v !== 'NaN') throw new Error(`not a sample value: ${v}`);
  return n;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when absent. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The metric family a sample belongs to: histogram samples end in _bucket, _sum or _count. */
export function familyOf(e: Exposition, sampleName: string): string | undefined {
  if (e.type.has(sampleName)) return sampleName;
  const base = sampleName.replace(/_(bucket|sum|count)$/, '');
  return e.type.get(base) === 'histogram' ? base : undefined;
}

/**
 * `promtool check metrics` on an exposition: its problems (syntax and lint), '' when it
 * passes, null when promtool (Debian's prometheus package; tests/helpers/install-tools.sh)
 * is not installed. Then the caller skips loudly, or fails when CI is "true".
 */
export function promtoolProblems(text: string): string | null {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
  if (r.error) return null;
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`.trim() || `promtool exited ${String(r.status)}`;
}

/** Skips the test (or fails it under CI=true) when promtool is missing; true when it can run. */
export function requirePromtool(t: { fail(msg: string): unknown; plan(n: number, msg: string): unknown }): boolean {
  if (promtoolProblems('') !== null) return true;
  const msg = 'promtool (Debian package prometheus) not installed: the exposition cannot be checked';
  if (process.env.CI === 'true') {
    t.fail(`${msg}; CI=true needs it (make test installs it as root)`);
    return false;
  }
  process.stderr.write(`\n*** WARNING: ${msg}; SKIPPING. Install with: apt-get install prometheus ***\n\n`);
  t.plan(0, msg);
  return false;
}
