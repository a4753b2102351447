import type { z } from 'zod';
import type { Check } from './json-schema-check.js';

/** A zod schema as a Check, for the supervisor's IPC receiver: the first issue as "path: message". */
export function zodCheck<S extends z.ZodType>(schema: S): Check<z.infer<S>> {
  return (raw) => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    return { ok: false, issue: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid' };
  };
}
