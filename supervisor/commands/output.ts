import { ConfigErrors, PropaneError } from '../../shared/errors.js';

/** Every command's error path: one line per problem on stderr, the JSON form on stdout with --json. */
export function reportError(err: unknown, json: boolean): number {
  const problems = err instanceof ConfigErrors ? err.errors : err instanceof PropaneError ? [err] : null;
  if (!problems) throw err;
  for (const p of problems) process.stderr.write(`propane: ${p.code} ${p.message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, errors: problems.map((p) => ({ code: p.code, message: p.message })) })}\n`);
  return err instanceof ConfigErrors ? err.exitCode : (err as PropaneError).exitCode;
}

export function printJson(value: unknown, pretty = false): void {
  process.stdout.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}
