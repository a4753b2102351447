/**
 * A strict interpreter for the JSON Schema subset that zod's `z.toJSONSchema`
 * emits for the IPC contracts (contracts/schemas/*.json), so a worker can
 * validate what the supervisor sends without loading zod (contracts/worker-checks.ts
 * says why). It is compiled once per schema into closures; a keyword it does
 * not know is an error at compile time, never silently ignored, so a new kind
 * of check in the zod schemas fails tests/unit/contracts/json-schemas.test.ts
 * instead of going unchecked.
 *
 * It agrees with zod (the unit test fuzzes both), with these choices:
 * - lengths count UTF-16 code units, as zod does (JSON Schema counts code points);
 * - an optional key whose value is `undefined` counts as absent, as in zod;
 * - `format: "uri"` is zod's `z.url()`: the trimmed string parses as a URL, and with
 *   `x-url-protocol` its scheme matches that pattern and is written `scheme://`;
 * - values are never rewritten: zod's defaults are not filled in (a defaulted key
 *   is required) and URLs are not trimmed. The supervisor sends zod's output.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; issue: string };
export type Check<T> = (raw: unknown) => Checked<T>;

/** Returns the first problem as "path: message", or null when `v` conforms. */
type Node = (v: unknown, path: string) => string | null;
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'default', 'description']);

export function compileJsonSchema<T>(schema: unknown): Check<T> {
  const node = compile(schema, '#');
  return (raw) => {
    const issue = node(raw, '');
    return issue === null ? { ok: true, value: raw as T } : { ok: false, issue };
  };
}

function compile(s: unknown, at: string): Node {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${at}: a schema must be an object`);
  const schema = s as Schema;
  const checks: Node[] = [];
  const used = new Set<string>(ANNOTATIONS);
  const take = (key: string): unknown => (used.add(key), schema[key]);

  if ('const' in schema) {
    const want = take('const');
    checks.push((v, p) => (v === want ? null : `${p}: expected ${JSON.stringify(want)}`));
  }
  if ('enum' in schema) {
    const allowed = take('enum') as unknown[];
    checks.push((v, p) => (allowed.includes(v) ? null : `${p}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`));
  }
  if ('anyOf' in schema) checks.push(anyOf((take('anyOf') as unknown[]).map((b, i) => compile(b, `${at}/anyOf/${i}`))));
  if ('oneOf' in schema) checks.push(oneOfByType(take('oneOf') as unknown[], at));
  if ('type' in schema) {
    // zod writes a nullable primitive as `"type": ["string", "null"]`.
    const types = [take('type')].flat() as string[];
    const branches = types.map((type) => all(typed(type, schema, take, at)));
    checks.push(branches.length === 1 ? branches[0]! : anyOf(branches));
  }

  for (const key of Object.keys(schema)) if (!used.has(key)) throw new Error(`${at}: unsupported keyword ${key}`);
  return all(checks);
}

function all(checks: Node[]): Node {
  if (checks.length === 1) return checks[0]!;
  return (v, p) => {
    for (const check of checks) {
      const issue = check(v, p);
      if (issue !== null) return issue;
    }
    return null;
  };
}

function typed(type: string, schema: Schema, take: (key: string) => unknown, at: string): Node[] {
  const has = (key: string): boolean => key in schema;
  switch (type) {
    case 'null':
      return [(v, p) => (v === null ? null : `${p}: expected null`)];
    case 'boolean':
      return [(v, p) => (typeof v === 'boolean' ? null : `${p}: expected a boolean`)];
    case 'number':
    case 'integer': {
      const isInt = type === 'integer';
      const min = has('minimum') ? (take('minimum') as number) : -Infinity;
      const max = has('maximum') ? (take('maximum') as number) : Infinity;
      const above = has('exclusiveMinimum') ? (take('exclusiveMinimum') as number) : -Infinity;
      return [
        (v, p) => {
          if (typeof v !== 'number' || !Number.isFinite(v) || (isInt && !Number.isSafeInteger(v))) return `${p}: expected ${isInt ? 'an integer' : 'a finite number'}`;
          if (v < min || v > max || v <= above) return `${p}: ${v} is out of range`;
          return null;
        },
      ];
    }
    case 'string':
      return stringChecks(has, take, at);
    case 'array': {
      const items = compile(take('items'), `${at}/items`);
      return [
        (v, p) => {
          if (!Array.isArray(v)) return `${p}: expected an array`;
          for (let i = 0; i < v.length; i++) {
            const issue = items(v[i], join(p, String(i)));
            if (issue !== null) return issue;
          }
          return null;
        },
      ];
    }
    case 'object':
      return [objectCheck(take, at)];
    default:
      throw new Error(`${at}: unsupported type ${type}`);
  }
}

function stringChecks(has: (key: string) => boolean, take: (key: string) => unknown, at: string): Node[] {
  const min = has('minLength') ? (take('minLength') as number) : 0;
  const max = has('maxLength') ? (take('maxLength') as number) : Infinity;
  const checks: Node[] = [(v, p) => (typeof v !== 'string' ? `${p}: expected a string` : v.length < min || v.length > max ? `${p}: length ${v.length} is out of range` : null)];
  if (has('pattern')) {
    const re = new RegExp(take('pattern') as string, 'u');
    checks.push((v, p) => (re.test(v as string) ? null : `${p}: does not match ${re.source}`));
  }
  if (has('format')) {
    const format = take('format');
    const protocol = has('x-url-protocol') ? new RegExp(take('x-url-protocol') as string) : null;
    if (format === 'uri') checks.push((v, p) => (isUrl(v as string, protocol) ? null : `${p}: expected a URL`));
    // zod's startsWith is emitted as this format plus a `pattern`, which does the checking.
    else if (format !== 'starts_with' || !has('pattern')) throw new Error(`${at}: unsupported format ${String(format)}`);
  }
  return checks;
}

function isUrl(value: string, protocol: RegExp | null): boolean {
  const trimmed = value.trim();
  if (protocol === null) return URL.canParse(trimmed);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || !URL.canParse(trimmed)) return false;
  return protocol.test(new URL(trimmed).protocol.slice(0, -1));
}

function objectCheck(take: (key: string) => unknown, at: string): Node {
  const additional = take('additionalProperties');
  if (typeof additional === 'object' && additional !== null) return recordCheck(compile(additional, `${at}/additionalProperties`), take('propertyNames'), at);
  if (additional !== false) throw new Error(`${at}: objects must be strict (additionalProperties: false) or records`);
  // A Map, not the schema object: a key such as "constructor" or "__proto__" must not find Object.prototype.
  const props = new Map(Object.entries((take('properties') ?? {}) as Record<string, unknown>).map(([k, s]) => [k, compile(s, `${at}/properties/${k}`)]));
  const required = new Set((take('required') ?? []) as string[]);
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p}: expected an object`;
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) if (!props.has(key)) return `${join(p, key)}: unknown key`;
    for (const [key, check] of props) {
      const value = Object.hasOwn(obj, key) ? obj[key] : undefined;
      if (value === undefined) {
        if (required.has(key)) return `${join(p, key)}: required`;
        continue;
      }
      const issue = check(value, join(p, key));
      if (issue !== null) return issue;
    }
    return null;
  };
}

/** zod's z.record: every key passes `propertyNames`, every value the value schema; no fixed properties. */
function recordCheck(value: Node, propertyNames: unknown, at: string): Node {
  const key = propertyNames === undefined ? null : compile(propertyNames, `${at}/propertyNames`);
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p}: expected an object`;
    for (const [k, child] of Object.entries(v)) {
      const issue = (key ? key(k, join(p, k)) : null) ?? value(child, join(p, k));
      if (issue !== null) return issue;
    }
    return null;
  };
}

function anyOf(branches: Node[]): Node {
  return (v, p) => {
    let first: string | null = null;
    for (const branch of branches) {
      const issue = branch(v, p);
      if (issue === null) return null;
      first ??= issue;
    }
    return first;
  };
}

/** zod's discriminated union: every branch is an object with a constant `type`, and the message's `type` picks one. */
function oneOfByType(branches: unknown[], at: string): Node {
  const byType = new Map<unknown, Node>();
  branches.forEach((b, i) => {
    const type = ((b as Schema).properties as Record<string, Schema> | undefined)?.type?.const;
    if (type === undefined || byType.has(type)) throw new Error(`${at}/oneOf/${i}: each branch needs its own constant "type"`);
    byType.set(type, compile(b, `${at}/oneOf/${i}`));
  });
  return (v, p) => {
    const type = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { type?: unknown }).type : undefined;
    const branch = byType.get(type);
    return branch ? branch(v, p) : `${join(p, 'type')}: not a known message type`;
  };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
