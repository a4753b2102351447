import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import hello, { helloWithHeaders } from './hello-app.js';

/**
 * Plain node:cluster serving the same handler as propane: the baseline
 * http-ratio.ts and tls-ratio.ts measure propane against (bench/RESULTS.md).
 * Usage: node dist/bench/baseline-cluster.js <port> <workers> <round_robin|none> [options JSON]
 *
 * With `{ "headers": {...} }` in the JSON, the handler also writes those
 * headers, and the server sends no `Keep-Alive: timeout=5` line (propane's
 * keep-alive timeout is its own sweep, so it sends none): the same bytes as
 * propane, which the ratio benches check before timing. With `{ "tls": {
 * "cert", "key" } }` (file paths) the workers serve HTTPS with
 * https.createServer, sharing one set of session-ticket keys and a session
 * id context, as propane's workers do, so sessions resume across workers.
 */
const [port, workers, policy, optionsJson] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];
const options = optionsJson === undefined ? {} : (JSON.parse(optionsJson) as { headers?: Record<string, string>; tls?: { cert: string; key: string } });
const TICKET_KEYS_ENV = 'BENCH_TICKET_KEYS';

if (cluster.isPrimary) {
  cluster.schedulingPolicy = policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  let listening = 0;
  const ticketKeys = randomBytes(48).toString('base64');
  for (let i = 0; i < workers; i++) cluster.fork({ [TICKET_KEYS_ENV]: ticketKeys });
  cluster.on('listening', () => {
    if (++listening === workers) process.stdout.write('ready\n');
  });
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const handler = options.headers ? helloWithHeaders(options.headers) : hello;
  const tls = options.tls;
  const server = tls
    ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key), ticketKeys: Buffer.from(process.env[TICKET_KEYS_ENV]!, 'base64'), sessionIdContext: 'bench' }, handler)
    : createServer(handler);
  if (options.headers) server.keepAliveTimeout = 0;
  server.listen(port, '127.0.0.1');
  process.on('disconnect', () => process.exit(0));
}
