import t from 'tap';
import { httpGet, sendRaw } from '../helpers/http.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';

t.test('malformed HTTP gets a clear 400 or 431 and the worker keeps serving', async (t) => {
  const node = await startPropane(t, { workers: 1, env: WORKER_PID_HEADERS });
  const [pid] = await node.readyWorkerPids();
  const rows: Array<{ name: string; bytes: string; status: number; body: string }> = [
    { name: 'a malformed request line', bytes: 'HELLO\r\n\r\n', status: 400, body: 'bad request\n' },
    { name: 'a bad HTTP version', bytes: 'GET / HTTP/9.9x\r\nHost: x\r\n\r\n', status: 400, body: 'bad request\n' },
    { name: 'a header name with a space', bytes: 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', status: 400, body: 'bad request\n' },
    { name: 'Content-Length and Transfer-Encoding together', bytes: 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc', status: 400, body: 'bad request\n' },
    { name: 'headers larger than the parser allows', bytes: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, body: 'request header fields too large\n' },
  ];
  for (const c of rows) {
    const res = await sendRaw(node.port, c.bytes, 3_000);
    t.equal(res.status, c.status, `${c.name}: status`);
    t.ok(res.raw.endsWith(`\r\n\r\n${c.body}`), `${c.name}: body ${JSON.stringify(c.body)}`);
    t.match(res.raw, /\r\nConnection: close\r\n/i, `${c.name}: Connection: close`);
    t.ok(res.closed, `${c.name}: the socket is closed`);
  }
  const ok = await httpGet(node.port, '/');
  t.equal(ok.status, 200, 'the worker still serves');
  t.equal(ok.headers['x-arlen-worker-pid'], String(pid), 'the same worker');
  t.equal((await node.status()).workers[0]?.restarts, 0);
});
