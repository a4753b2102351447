import { existsSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import t from 'tap';
import { StatusError, StatusPayload } from '../../contracts/status.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What `curl --unix-socket` does: one HTTP/1.1 request on the status socket. */
function onSocket(socketPath: string, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { host: 'localhost' }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('status socket timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes on the socket; resolves with everything the server wrote before closing. */
function rawOnSocket(socketPath: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath }, () => s.end(bytes));
    let text = '';
    s.setEncoding('latin1').on('data', (c: string) => (text += c));
    s.on('close', () => resolve(text));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy());
  });
}

t.test('the status socket: mode 0600, GET /status per the contract, 404, 405, 400 for junk, and POST /stop', async (t) => {
  const node = await startPropane(t, { workers: 2 });
  const st = statSync(node.socket);
  t.ok(st.isSocket(), 'a Unix socket');
  t.equal(st.mode & 0o777, 0o600, 'mode 0600');

  const status = await onSocket(node.socket, 'GET', '/status');
  t.equal(status.status, 200);
  t.match(status.headers['content-type'], /^application\/json/);
  const payload = StatusPayload.parse(JSON.parse(status.body));
  t.match(payload, { schema_version: 1, supervisor: { pid: node.pid, state: 'running' }, listen: { host: '127.0.0.1', port: node.port }, totals: { limits: { http: 256, websocket: 256 } }, cluster: { enabled: false, quorum: { status: 'single_node', met: true } }, reload: { in_progress: false, last: null } });
  t.equal(payload.workers.length, 2);

  const unknown = await onSocket(node.socket, 'GET', '/nope');
  t.equal(unknown.status, 404);
  t.equal(StatusError.parse(JSON.parse(unknown.body)).error.code, 'PROPANE_ERR_USAGE');

  for (const [method, path, allow] of [['POST', '/status', 'GET'], ['DELETE', '/metrics', 'GET'], ['GET', '/stop', 'POST'], ['GET', '/reload', 'POST']] as const) {
    const wrong = await onSocket(node.socket, method, path);
    t.equal(wrong.status, 405, `${method} ${path}`);
    t.equal(wrong.headers.allow, allow);
    StatusError.parse(JSON.parse(wrong.body));
  }

  for (const junk of [Buffer.from('garbage garbage garbage\r\n\r\n'), Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]), Buffer.from('GET /status HTTP/9.9\r\nHost: x\r\n\r\n'), Buffer.from(`GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n`)]) {
    const answer = await rawOnSocket(node.socket, junk);
    t.match(answer, /^HTTP\/1\.1 400 /, `400 for ${JSON.stringify(junk.toString('latin1').slice(0, 20))}`);
  }
  const still = StatusPayload.parse(JSON.parse((await onSocket(node.socket, 'GET', '/status')).body));
  t.equal(still.supervisor.state, 'running', 'the supervisor keeps serving after junk');
  t.same(still.workers.map((w) => w.pid), payload.workers.map((w) => w.pid), 'nothing changed');
  t.equal((await httpGet(node.port, '/')).status, 200);

  const stop = await onSocket(node.socket, 'POST', '/stop');
  t.equal(stop.status, 202);
  t.match(JSON.parse(stop.body), { state: 'stopping' });
  t.same(await node.exited, { code: 0, signal: null });
  t.notOk(existsSync(node.socket), 'the socket file is removed on exit');
});
