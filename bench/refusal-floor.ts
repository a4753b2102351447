import { createServer } from 'node:net';

/**
 * The least a Node server can do to answer a connection it refuses: wait for
 * the request's first bytes, write a fixed 503, close. No admission, no
 * identity headers, no bookkeeping. The first connection is held as the
 * admitted one until it closes, as in bench/refusal-cpu.ts.
 * Usage: node dist/bench/refusal-floor.js <port>
 */
const ANSWER = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nRetry-After: 1\r\nX-Arlen-Backpressure-Reason: http_session_limit\r\nConnection: close\r\n\r\nserver busy\n';
let held = false;
createServer({ pauseOnConnect: true }, (socket) => {
  socket.on('error', () => {});
  socket.resume();
  if (!held) {
    held = true;
    socket.once('close', () => (held = false));
    socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    return;
  }
  socket.once('data', () => {
    socket.write(ANSWER);
    socket.destroy();
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
