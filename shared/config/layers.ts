import { PropaneError } from '../errors.js';

/**
 * Raw config layers: plain nested objects, merged low to high, with the
 * source of every leaf remembered so diagnostics can say where a bad value
 * came from ("from ARLEN_MAX_HTTP_SESSIONS", "from --workers").
 */
export type Raw = Record<string, unknown>;
export type Sources = Map<string, string>;

export function isPlainObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const part of path) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

export function setPath(obj: Raw, path: readonly string[], value: unknown): void {
  let cur = obj;
  for (const part of path.slice(0, -1)) {
    const next = cur[part];
    if (!isPlainObject(next)) cur[part] = {};
    cur = cur[part] as Raw;
  }
  cur[path[path.length - 1]!] = value;
}

/** Merges `layer` into `target` in place; arrays and scalars replace, objects merge. */
export function mergeLayer(target: Raw, layer: Raw, source: string, sources: Sources, prefix: string[] = []): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    // JSON.parse makes `__proto__` an own key; copying it would pollute Object.prototype.
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new PropaneError('PROPANE_ERR_CONFIG_UNKNOWN_KEY', `${path.join('.')} is not a config key (from ${source}). Fix: remove it.`);
    }
    if (isPlainObject(value)) {
      if (!isPlainObject(target[key])) target[key] = {};
      sources.set(path.join('.'), source);
      mergeLayer(target[key] as Raw, value, source, sources, path);
    } else {
      target[key] = value;
      sources.set(path.join('.'), source);
    }
  }
}

export function sourceOf(sources: Sources, path: readonly string[]): string {
  for (let n = path.length; n > 0; n--) {
    const s = sources.get(path.slice(0, n).join('.'));
    if (s) return s;
  }
  return 'the defaults';
}
