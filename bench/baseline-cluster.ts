import cluster from 'node:cluster';
import { createServer } from 'node:http';
import hello, { helloWithHeaders } from './hello-app.js';

/**
 * Plain node:cluster serving the same handler as propane: the baseline
 * http-ratio.ts measures propane against (bench/RESULTS.md).
 * Usage: node dist/bench/baseline-cluster.js <port> <workers> <round_robin|none> [same-bytes JSON]
 *
 * With the JSON `{ "headers": {...} }`, the handler also writes those
 * headers, and the server sends no `Keep-Alive: timeout=5` line (propane's
 * keep-alive timeout is its own sweep, so it sends none): the same bytes as
 * propane, which http-ratio.ts checks before timing.
 */
const [port, workers, policy, sameBytes] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];

if (cluster.isPrimary) {
  cluster.schedulingPolicy = policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
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
  const same = sameBytes === undefined ? null : (JSON.parse(sameBytes) as { headers: Record<string, string> });
  const server = createServer(same ? helloWithHeaders(same.headers) : hello);
  if (same) server.keepAliveTimeout = 0;
  server.listen(port, '127.0.0.1');
  process.on('disconnect', () => process.exit(0));
}
