import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import hello, { helloWithHeaders } from './hello-app.js';

/**
 * Plain node:cluster serving the same handler as propane: the baseline
 * http-ratio.ts and tls-ratio.ts measure propane against (bench/RESULTS.md).
 * Usage: node dist/bench/baseline-cluster.js <port> <workers> <round_robin|none|reuse_port> [options JSON]
 *
 * With `{ "headers": {...}, "workerPid": bool }` in the JSON, the handler
 * also writes those headers (and X-Arlen-Worker-Pid when workerPid is set),
 * and the server sends no `Keep-Alive: timeout=5` line (propane's keep-alive
 * timeout is its own sweep, so it sends none): the same bytes as propane,
 * which the ratio benches check before timing. With `{ "tls": { "cert",
 * "key" } }` (file paths) the workers serve HTTPS with https.createServer,
 * sharing one set of session-ticket keys and a session id context, as
 * propane's workers do, so sessions resume across workers. With
 * `{ "maxConnections": n }` each worker sets server.maxConnections, so it
 * drops connections past it at accept: Node's cheapest refusal, with no
 * answer (bench/overload.ts).
 *
 * Under reuse_port each worker listens with `reusePort: true` (Node.js
 * 22.12+), which node:net turns into an exclusive listen: the worker binds
 * its own SO_REUSEPORT socket, the primary never sees the port, and the
 * kernel picks a worker's socket for each connection. No cluster
 * 'listening' event reaches the primary then, so every worker reports its
 * listen over IPC instead.
 */
const [port, workers, policy, optionsJson] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];
const options = optionsJson === undefined ? {} : (JSON.parse(optionsJson) as { headers?: Record<string, string>; workerPid?: boolean; tls?: { cert: string; key: string }; maxConnections?: number });
const TICKET_KEYS_ENV = 'BENCH_TICKET_KEYS';

if (cluster.isPrimary) {
  // Under reuse_port the policy decides nothing: exclusive listens bypass the primary.
  cluster.schedulingPolicy = policy === 'round_robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  let listening = 0;
  const ticketKeys = randomBytes(48).toString('base64');
  for (let i = 0; i < workers; i++) cluster.fork({ [TICKET_KEYS_ENV]: ticketKeys });
  cluster.on('message', (_worker, message) => {
    if (message === 'listening' && ++listening === workers) process.stdout.write('ready\n');
  });
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const sameBytes = options.headers !== undefined || options.workerPid === true;
  const headers = { ...options.headers, ...(options.workerPid ? { 'X-Arlen-Worker-Pid': String(process.pid) } : {}) };
  const handler = sameBytes ? helloWithHeaders(headers) : hello;
  const tls = options.tls;
  const server = tls
    ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key), ticketKeys: Buffer.from(process.env[TICKET_KEYS_ENV]!, 'base64'), sessionIdContext: 'bench' }, handler)
    : createServer(handler);
  if (sameBytes) server.keepAliveTimeout = 0;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.listen({ port, host: '127.0.0.1', reusePort: policy === 'reuse_port' }, () => process.send!('listening'));
  process.on('disconnect', () => process.exit(0));
}
