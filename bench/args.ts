import { parseArgs } from 'node:util';

type Defaults = Record<string, number | string | boolean>;
type Parsed<T extends Defaults> = { [K in keyof T]: T[K] extends number ? number : T[K] extends boolean ? boolean : string };

/**
 * A benchmark's `--name value` flags from their defaults: a number default
 * makes a number flag, a boolean default a switch, a string default a string
 * flag. Unknown flags are refused, so a typo never measures the defaults.
 */
export function benchArgs<T extends Defaults>(defaults: T): Parsed<T> {
  const options: Record<string, { type: 'string' | 'boolean'; default: string | boolean }> = {};
  for (const [name, value] of Object.entries(defaults)) options[name] = typeof value === 'boolean' ? { type: 'boolean', default: value } : { type: 'string', default: String(value) };
  const { values } = parseArgs({ options, strict: true });
  const out: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(defaults)) {
    const given = values[name] as string | boolean;
    const asNumber = Number(given);
    if (typeof value === 'number' && !Number.isFinite(asNumber)) throw new Error(`--${name} takes a number; got ${String(given)}`);
    out[name] = typeof value === 'number' ? asNumber : given;
  }
  return out as Parsed<T>;
}
