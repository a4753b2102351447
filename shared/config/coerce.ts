import { PropaneError } from '../errors.js';

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
      if (!/^[+-]?\d+$/.test(text)) throw typeError(key, raw, source, 'an integer', 'give a whole number, e.g. 8');
      return Number.parseInt(text, 10);
    case 'number':
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw typeError(key, raw, source, 'a number', 'give a number, e.g. 10 or 0.5');
      return Number.parseFloat(text);
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw typeError(key, raw, source, 'a boolean', 'use true or false');
    }
  }
}

function typeError(key: string, raw: string, source: string, what: string, fix: string): PropaneError {
  return new PropaneError(
    'PROPANE_ERR_CONFIG_TYPE',
    `${key} must be ${what}; got ${JSON.stringify(raw)} from ${source}. Fix: ${fix}.`,
  );
}
