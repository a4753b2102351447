import { createServer } from 'node:http';
import t from 'tap';
import { rawConnect, rawGet } from '../../helpers/http.js';
import { CAN_PRERENDER, PropaneResponse, renderHeaders } from '../../../worker/propane-response.js';

t.test('renderHeaders writes valid pairs as wire lines and leaves out what node:http would reject', async (t) => {
  t.equal(renderHeaders([['X-Arlen-Node', 'vm'], ['X-Arlen-Cluster', 'a\r\nInjected: yes'], ['Bad Name', 'x'], ['X-Arlen-Worker-Pid', '42']]), 'X-Arlen-Node: vm\r\nX-Arlen-Worker-Pid: 42\r\n');
  t.equal(renderHeaders([]), '');
});

t.test('a PropaneResponse writes its pre-rendered lines after the status line, beside the app\'s own headers', async (t) => {
  t.ok(CAN_PRERENDER, 'this Node has the hook; otherwise the handler falls back to setHeader');
  const server = createServer({ ServerResponse: PropaneResponse }, (_req, res) => {
    (res as PropaneResponse).propaneRequestId = 'abc';
    (res as PropaneResponse).propaneHeaders = 'X-Arlen-Node: vm\r\n';
    res.setHeader('X-App', '1');
    res.writeHead(201, { 'Content-Type': 'text/plain', 'Content-Length': '3' }).end('ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const socket = await rawConnect((server.address() as { port: number }).port);
  t.teardown(() => socket.destroy());
  const raw = await rawGet(socket, '/');
  t.match(raw, /^HTTP\/1\.1 201 Created\r\nX-Request-Id: abc\r\nX-Arlen-Node: vm\r\nX-App: 1\r\nContent-Type: text\/plain\r\nContent-Length: 3\r\n/);
  t.ok(raw.endsWith('\r\n\r\nok\n'));
  const second = await rawGet(socket, '/');
  t.equal(second.match(/X-Request-Id/g)?.length, 1, 'each response carries its lines once, also on a reused connection');
});

t.test('an X-Request-Id the app sets itself replaces propane\'s, never doubles it', async (t) => {
  const server = createServer({ ServerResponse: PropaneResponse }, (_req, res) => {
    (res as PropaneResponse).propaneRequestId = 'made-by-propane';
    res.setHeader('X-Request-Id', 'from-app');
    res.end('ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const socket = await rawConnect((server.address() as { port: number }).port);
  t.teardown(() => socket.destroy());
  const raw = await rawGet(socket, '/');
  t.equal(raw.match(/X-Request-Id: [^\r]*/gi)?.join(','), 'X-Request-Id: from-app');
});
