import type { z } from 'zod';
import { ConfigInput } from '../../contracts/config.js';
import { PropaneError } from '../errors.js';
import { isSecretKey, REDACTED } from '../secrets.js';
import { getPath, type Sources, sourceOf } from './layers.js';
import { redactUserinfo } from './risks.js';

/**
 * Turns zod's issues into one line per problem that names the key path, the
 * value, where it came from, and the fix, as docs/errors.md shows them.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, sources: Sources): PropaneError[] {
  return issues.flatMap((issue) => describeIssue(issue, raw, sources));
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, sources: Sources): PropaneError[] {
  const path = issue.path.map(String);
  const key = path.join('.') || '(root)';
  const value = getPath(raw, path);
  const from = sourceOf(sources, path);
  const got = `got ${isSecretKey(key) && value !== undefined ? JSON.stringify(REDACTED) : show(value)} from ${from}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((unknownKey) => {
        const full = [...path, unknownKey].join('.');
        const suggestion = nearestKey(unknownKey, knownKeysAt(path));
        const hint = suggestion ? `did you mean ${suggestion}? Fix: rename it to ${[...path, suggestion].join('.')}` : 'Fix: remove it; see docs/configuration.md for the keys';
        return new PropaneError('PROPANE_ERR_CONFIG_UNKNOWN_KEY', `${full} is not a config key (from ${sourceOf(sources, [...path, unknownKey])}); ${hint}.`);
      });
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `>= ${String(issue.minimum)}` : `<= ${String(issue.maximum)}`;
      const what = issue.origin === 'int' || Number.isInteger(value) ? 'an integer' : issue.origin === 'string' ? 'a string of length' : issue.origin === 'array' ? 'a list of length' : 'a number';
      const example = defaultAt(path);
      const fix = example === undefined ? `set it ${bound}` : `set it ${bound}, e.g. ${show(example)}`;
      return [new PropaneError('PROPANE_ERR_CONFIG_OUT_OF_RANGE', `${key} must be ${what} ${bound}; ${got}. Fix: ${fix}.`)];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v)).join(', ');
      return [new PropaneError('PROPANE_ERR_CONFIG_INVALID', `${key} must be one of ${allowed}; ${got}. Fix: pick one of ${allowed}.`)];
    }
    case 'invalid_type': {
      const expected = issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`;
      return [new PropaneError('PROPANE_ERR_CONFIG_TYPE', `${key} must be ${expected}; ${got}. Fix: give it as ${issue.expected}${example(path)}.`)];
    }
    case 'invalid_format':
      return [new PropaneError('PROPANE_ERR_CONFIG_INVALID', `${key} must be a valid ${issue.format}; ${got}. Fix: ${issue.format === 'url' ? 'give http:// or https:// URLs, e.g. http://127.0.0.1:2379' : `give a valid ${issue.format}`}.`)];
    default:
      return [new PropaneError('PROPANE_ERR_CONFIG_INVALID', `${key}: ${issue.message}; ${got}. Fix: see docs/configuration.md.`)];
  }
}

function example(path: readonly string[]): string {
  const d = defaultAt(path);
  return d === undefined || d === null ? '' : `, e.g. ${show(d)}`;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : redactUserinfo(JSON.stringify(value));
}

let defaults: unknown;
export function defaultAt(path: readonly string[]): unknown {
  defaults ??= ConfigInput.parse({});
  return getPath(defaults, path);
}

interface Unwrappable {
  _zod: { def: { type: string; innerType?: Unwrappable; in?: Unwrappable; shape?: Record<string, Unwrappable> } };
}

function unwrap(schema: Unwrappable): Unwrappable {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The keys the schema allows at `path`, for "did you mean". */
export function knownKeysAt(path: readonly string[]): string[] {
  let s = unwrap(ConfigInput as unknown as Unwrappable);
  for (const part of path) {
    const next = s._zod.def.shape?.[part];
    if (!next) return [];
    s = unwrap(next);
  }
  return Object.keys(s._zod.def.shape ?? {});
}

export function nearestKey(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
