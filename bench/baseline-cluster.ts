import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ListenOptions } from 'node:net';
import hello, { helloWithHeaders } from './hello-app.js';

/**
 * Plain node:cluster serving the same handler as propane: the baseline the
 * benchmarks measure propane against (bench/RESULTS.md).
 * Usage: node dist/bench/baseline-cluster.js <port> <workers> <round_robin|none|reuse_port> [options JSON]
 *
 * The options JSON (BaselineOptions in bench/servers.ts) may carry:
 * - `headers`: the handler also writes them, and the server sends no
 *   `Keep-Alive: timeout=5` line (propane's keep-alive timeout is its own
 *   sweep, so it sends none): the same bytes as propane, which http-ratio.ts
 *   checks before timing;
 * - `maxConnections`: each worker's server.maxConnections, so a worker
 *   drops connections past it at accept: Node's cheapest refusal, with no
 *   answer (bench/overload.ts);
 * - `tls`: PEM file paths `{ cert, key }`: HTTPS instead of HTTP.
 *
 * Under reuse_port each worker binds its own SO_REUSEPORT socket (Node 22.12
 * and newer), as propane's workers do.
 */
const [port, workers, policy, optionsJson] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];
const options = (optionsJson === undefined ? {} : JSON.parse(optionsJson)) as { headers?: Record<string, string>; maxConnections?: number; tls?: { cert: string; key: string } };

if (cluster.isPrimary) {
  cluster.schedulingPolicy = policy === 'round_robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  // Each worker says so itself: a reuse_port listen is the worker's own, so cluster emits no 'listening' for it.
  cluster.on('message', (_worker, msg) => {
    if (msg === 'listening' && ++listening === workers) process.stdout.write('ready\n');
  });
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const handler = options.headers ? helloWithHeaders(options.headers) : hello;
  const tls = options.tls && { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key) };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  if (options.headers) server.keepAliveTimeout = 0;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  const reusePort = policy === 'reuse_port' ? { reusePort: true, exclusive: true } : {};
  server.listen({ port, host: '127.0.0.1', ...reusePort } as ListenOptions, () => process.send?.('listening'));
  process.on('disconnect', () => process.exit(0));
}
