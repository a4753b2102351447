import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Server } from 'node:http';
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
 * answer (bench/overload.ts). With `"answerOverflow": true` as well, the
 * connections past it are answered instead: each worker admits through a
 * net server with pauseOnConnect, and one over its share gets a fixed 503
 * once its first bytes arrive, then is closed (the floor of
 * bench/refusal-floor.ts): the least a Node server that answers every
 * refused client can do.
 *
 * Under reuse_port each worker listens with `reusePort: true` (Node.js
 * 22.12+), which node:net turns into an exclusive listen: the worker binds
 * its own SO_REUSEPORT socket, the primary never sees the port, and the
 * kernel picks a worker's socket for each connection. No cluster
 * 'listening' event reaches the primary then, so every worker reports its
 * listen over IPC instead.
 */
const [port, workers, policy, optionsJson] = [Number(process.argv[2]), Number(process.argv[3] ?? 2), process.argv[4] ?? 'none', process.argv[5]];
const options = optionsJson === undefined ? {} : (JSON.parse(optionsJson) as { headers?: Record<string, string>; workerPid?: boolean; tls?: { cert: string; key: string }; maxConnections?: number; answerOverflow?: boolean });
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
  const tlsOptions = tls && { cert: readFileSync(tls.cert), key: readFileSync(tls.key), ticketKeys: Buffer.from(process.env[TICKET_KEYS_ENV]!, 'base64'), sessionIdContext: 'bench' };
  const server = tlsOptions
    ? createHttpsServer(tlsOptions, handler)
    : createServer(handler);
  if (sameBytes) server.keepAliveTimeout = 0;
  const listenOptions = { port, host: '127.0.0.1', reusePort: policy === 'reuse_port' };
  const listening = (): boolean => process.send!('listening');
  if (options.answerOverflow && options.maxConnections !== undefined) answeringFront(server, options.maxConnections, tlsOptions ? createTlsServer(tlsOptions) : null).listen(listenOptions, listening);
  else {
    if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
    server.listen(listenOptions, listening);
  }
  process.on('disconnect', () => process.exit(0));
}

const BUSY = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nRetry-After: 1\r\nX-Arlen-Backpressure-Reason: http_session_limit\r\nConnection: close\r\n\r\nserver busy\n';

/**
 * Admits up to `max` connections into `server`; answers the rest the fixed 503 once their first bytes
 * arrive, over TLS after a handshake when `refusalTls` is given (a tls.Server that never listens).
 */
function answeringFront(server: Server, max: number, refusalTls: TlsServer | null): NetServer {
  refusalTls?.on('secureConnection', (secure: TLSSocket) => answerBusy(secure));
  refusalTls?.on('tlsClientError', (_err, secure: TLSSocket) => secure.destroy());
  let open = 0;
  return createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    socket.on('error', () => {});
    const admitted = open < max;
    if (admitted) {
      open++;
      socket.once('close', () => open--);
    }
    const target = admitted ? server : refusalTls;
    if (target === null) return answerBusy(socket);
    target.emit('connection', socket);
    // A TLS server reads the paused socket's handle itself.
    if (!refusalTls) socket.resume();
  });
}

function answerBusy(socket: Socket): void {
  socket.on('error', () => {});
  socket.once('data', () => {
    socket.write(BUSY);
    socket.destroy();
  });
  socket.resume();
}
