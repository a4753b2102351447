import { PropaneError } from '../errors.js';
import { defaultAt } from './diagnostics.js';

/**
 * Environment variables and CLI flags arrive as strings. Each is parsed
 * strictly: `ARLEN_MAX_HTTP_SESSIONS=lots` is an error, never a silent default.
 */
export type ValueKind = 'int' | 'number' | 'boolean' | 'string' | 'list';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function coerce(raw: string, kind: ValueKind, key: string, source: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return text;
    case 'list':
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'int':
      if (!/^[+-]?\d+$/.test(text)) throw typeError(key, raw, source, 'an integer', `give a whole number, e.g. ${exampleFor(key, 8)}`);
      return Number.parseInt(text, 10);
    case 'number':
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw typeError(key, raw, source, 'a number', `give a number, e.g. ${exampleFor(key, 10)}`);
      return Number.parseFloat(text);
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw typeError(key, raw, source, 'a boolean', 'use true or false');
    }
  }
}

/** The key's default makes the best example; keys without one (workers) get a plain number. */
function exampleFor(key: string, fallback: number): number {
  const d = defaultAt(key.split('.'));
  return typeof d === 'number' ? d : fallback;
}

function typeError(key: string, raw: string, source: string, what: string, fix: string): PropaneError {
  return new PropaneError(
    'PROPANE_ERR_CONFIG_TYPE',
    `${key} must be ${what}; got ${JSON.stringify(raw)} from ${source}. Fix: ${fix}.`,
  );
}
