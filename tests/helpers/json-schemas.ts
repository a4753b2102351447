import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { SupervisorToWorker, WorkerBoot } from '../../contracts/ipc.js';
import { ROOT } from './paths.js';

/**
 * The JSON Schemas workers validate with (contracts/worker-checks.ts), each
 * generated from its zod schema in contracts/. `make schemas` writes them;
 * tests/unit/contracts/json-schemas.test.ts fails when a committed file
 * differs from what this generates.
 */
export const SCHEMA_DIR = join(ROOT, 'contracts/schemas');
export const JSON_SCHEMAS: ReadonlyArray<{ file: string; schema: z.ZodType }> = [
  { file: 'worker-boot.json', schema: WorkerBoot },
  { file: 'supervisor-to-worker.json', schema: SupervisorToWorker },
];

/**
 * The output side (what the supervisor sends after zod filled the defaults),
 * and nothing zod cannot express: a transform would throw here. zod has no
 * JSON Schema keyword for z.url's protocol, so it goes in `x-url-protocol`.
 */
export function renderJsonSchema(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def as { format?: string; protocol?: RegExp };
      if (def.format === 'url' && def.protocol) (jsonSchema as Record<string, unknown>)['x-url-protocol'] = def.protocol.source;
    },
  });
  return `${JSON.stringify(json, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const { file, schema } of JSON_SCHEMAS) writeFileSync(join(SCHEMA_DIR, file), renderJsonSchema(schema));
  process.stdout.write(`wrote ${JSON_SCHEMAS.map((s) => join('contracts/schemas', s.file)).join(', ')}\n`);
}
