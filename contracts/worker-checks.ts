import { createRequire } from 'node:module';
import type { SupervisorToWorker, WorkerBoot } from './ipc.js';
import { compileJsonSchema } from './json-schema-check.js';

/**
 * How a worker validates its boot message and every IPC message, as strictly
 * as the zod schemas in contracts/ipc.ts, without zod. zod costs a worker
 * ~40 ms of CPU and 12-16 MB of RSS to load (about 95 ESM files), another
 * 10-15 ms to build the schemas and JIT the first parse: a third of a bare
 * node:cluster worker's whole boot (bench/RESULTS.md, "Worker cold start").
 * The JSON Schemas are generated from the zod schemas (`make schemas`), and
 * tests/unit/contracts/json-schemas.test.ts fails when they drift apart or
 * when this check and zod disagree. Only types come from ./ipc.js: a value
 * import of it would load zod again.
 */
// Read as text, not require()d: resolving a JSON module through the CommonJS loader costs ~1.3 ms
// more; node:fs itself comes through require, as its ESM facade loads fs/promises and readline.
const { readFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const schema = (file: string): unknown => JSON.parse(readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8'));

export const checkWorkerBoot = compileJsonSchema<WorkerBoot>(schema('worker-boot.json'));
export const checkSupervisorToWorker = compileJsonSchema<SupervisorToWorker>(schema('supervisor-to-worker.json'));
