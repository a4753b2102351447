import cluster from 'node:cluster';
import { createServer } from 'node:http';
import hello, { helloWithHeaders } from './hello-app.js';

/**
 * Plain node:cluster serving the same handler as propane: the baseline
 * http-ratio.ts measures propane against (bench/RESULTS.md).
 * Usage: node dist/bench/baseline-cluster.js <port> <workers> <round_robin|none|reuse_port> [headers JSON]
 *
 * With the JSON `{ "headers": {...}, "workerPid": bool }`, the handler also
 * writes those headers (and X-Arlen-Worker-Pid when workerPid is set), and
 * the server sends no `Keep-Alive: timeout=5` line (propane's keep-alive
 * timeout is its own sweep, so it sends none): the same bytes as propane,
 * which http-ratio.ts checks before timing.
 *
 * Under reuse_port each worker listens with `reusePort: true` (Node.js
 * 22.12+), which node:net turns into an exclusive listen: the worker binds
 * its own SO_REUSEPORT socket, the primary never sees the port, and the
 * kernel picks a worker's socket for each connection. No cluster
 * 'listening' event reaches the primary then, so every worker reports its
 * listen over IPC instead.
 */
const [port, workers, policy, sameBytes] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];

if (cluster.isPrimary) {
  // Under reuse_port the policy decides nothing: exclusive listens bypass the primary.
  cluster.schedulingPolicy = policy === 'round_robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
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
  const same = sameBytes === undefined ? null : (JSON.parse(sameBytes) as { headers: Record<string, string>; workerPid: boolean });
  const headers = same ? { ...same.headers, ...(same.workerPid ? { 'X-Arlen-Worker-Pid': String(process.pid) } : {}) } : null;
  const server = createServer(headers ? helloWithHeaders(headers) : hello);
  if (same) server.keepAliveTimeout = 0;
  server.listen({ port, host: '127.0.0.1', reusePort: policy === 'reuse_port' }, () => process.send!('listening'));
  process.on('disconnect', () => process.exit(0));
}
