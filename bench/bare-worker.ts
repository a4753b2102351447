import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type { PropaneRequest } from '../contracts/app.js';
import { defaultApp } from '../worker/default-app.js';

/**
 * The bare node:cluster worker cold-start.ts measures propane's worker
 * against: one worker serving the handler of propane's embedded app, nothing
 * else. `import` loads node:http the ESM way, which on Node 22.5+ also loads
 * undici (shared/node-http.ts); `require` loads it as propane does.
 * Prints `ready <worker pid>` once the worker listens.
 * Usage: node dist/bench/bare-worker.js <port> <import|require>
 */
const [port, how] = [Number(process.argv[2]), process.argv[3] === 'import' ? 'import' : 'require'];

if (cluster.isPrimary) {
  const worker = cluster.fork();
  cluster.on('listening', () => process.stdout.write(`ready ${worker.process.pid}\n`));
  const stop = (): void => {
    worker.kill();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const http = how === 'import' ? await import('node:http') : (createRequire(import.meta.url)('node:http') as typeof Http);
  http.createServer((req, res) => void defaultApp.handler!(req as PropaneRequest, res)).listen(port, '127.0.0.1');
  process.on('disconnect', () => process.exit(0));
}
