import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `make bench`: every benchmark in turn, each in its own process taking the
 * load lock itself (/tmp/propane-load.lock), printing markdown for
 * bench/RESULTS.md. Extra arguments go to the HTTP ratio bench.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const runs: Array<[string, string[]]> = [
  ['micro/admission.bench.js', []],
  ['micro/request-identity.bench.js', []],
  ['http-ratio.js', process.argv.slice(2)],
  ['connection-spread.js', []],
  ['tls-ratio.js', []],
  ['overload.js', []],
  ['status-latency.js', []],
  // It ends with supervisor-rss.js on the same Node.
  ['cold-start.js', []],
  ['crash-loop-cpu.js', []],
];

process.stdout.write(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString()}\n\n`);
let failed = 0;
for (const [file, args] of runs) {
  process.stdout.write(`## ${file}\n\n`);
  const r = spawnSync(process.execPath, [join(here, file), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) failed++;
  process.stdout.write('\n');
}
process.exitCode = failed === 0 ? 0 : 1;
