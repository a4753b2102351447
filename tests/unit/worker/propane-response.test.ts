import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import t from 'tap';
import { rawConnect, rawGet } from '../../helpers/http.js';
import type { PropaneRequestContext } from '../../../contracts/app.js';
import { CAN_PRERENDER, PropaneResponse, renderHeaders } from '../../../worker/propane-response.js';

const CONTEXT: PropaneRequestContext = {
  requestId: 'abc',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: '01',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'congo=t61rcWkgMzE',
};
const BOTH = { identity: true, trace: true };

/** A server whose responses are PropaneResponses set up by `handle`, and a connection to it; both closed by `t`'s teardown. */
async function serve(t: { teardown(fn: () => void): void }, handle: (res: PropaneResponse) => void): Promise<Socket> {
  const server = createServer({ ServerResponse: PropaneResponse }, (_req, res: ServerResponse) => handle(res as PropaneResponse));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const socket = await rawConnect((server.address() as { port: number }).port);
  t.teardown(() => socket.destroy());
  return socket;
}

t.test('renderHeaders writes valid pairs as wire lines and leaves out what node:http would reject', async (t) => {
  t.equal(renderHeaders([['X-Arlen-Node', 'vm'], ['X-Arlen-Cluster', 'a\r\nInjected: yes'], ['Bad Name', 'x'], ['X-Arlen-Worker-Pid', '42']]), 'X-Arlen-Node: vm\r\nX-Arlen-Worker-Pid: 42\r\n');
  t.equal(renderHeaders([]), '');
});

t.test('a PropaneResponse writes its identity, trace and pre-rendered lines after the status line, beside the app\'s own headers', async (t) => {
  t.ok(CAN_PRERENDER, 'this Node has the hook; otherwise the handler falls back to setHeader');
  const socket = await serve(t, (res) => {
    res.propaneContext = CONTEXT;
    res.propaneLines = BOTH;
    res.propaneHeaders = 'X-Arlen-Node: vm\r\n';
    res.setHeader('X-App', '1');
    res.writeHead(201, { 'Content-Type': 'text/plain', 'Content-Length': '3' }).end('ok\n');
  });
  const raw = await rawGet(socket, '/');
  t.ok(
    raw.startsWith(
      'HTTP/1.1 201 Created\r\nX-Request-Id: abc\r\nX-Correlation-Id: abc\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nX-Trace-Id: 0af7651916cd43dd8448eb211c80319c\r\nX-Arlen-Node: vm\r\nX-App: 1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n',
    ),
    raw,
  );
  t.notMatch(raw, /tracestate/i, 'tracestate is the app\'s to send on, never a response header');
  t.ok(raw.endsWith('\r\n\r\nok\n'));
  const second = await rawGet(socket, '/');
  t.equal(second.match(/X-Request-Id/g)?.length, 1, 'each response carries its lines once, also on a reused connection');
});

t.test('an X-Request-Id the app sets itself replaces propane\'s, never doubles it, and its twin follows it', async (t) => {
  const socket = await serve(t, (res) => {
    res.propaneContext = { ...CONTEXT, requestId: 'made-by-propane' };
    res.propaneLines = BOTH;
    res.setHeader('X-Request-Id', 'from-app');
    res.end('ok\n');
  });
  const raw = await rawGet(socket, '/');
  t.equal(raw.match(/X-Request-Id: [^\r]*/gi)?.join(','), 'X-Request-Id: from-app');
  t.equal(raw.match(/X-Correlation-Id: [^\r]*/gi)?.join(','), 'X-Correlation-Id: from-app');
  t.equal(raw.match(/traceparent: [^\r]*/gi)?.length, 1, 'the trace lines stay');
});

for (const c of [
  { name: 'identity only', lines: { identity: true, trace: false }, want: ['x-request-id', 'x-correlation-id'] },
  { name: 'trace only', lines: { identity: false, trace: true }, want: ['traceparent', 'x-trace-id'] },
  { name: 'neither', lines: { identity: false, trace: false }, want: [] },
]) {
  t.test(`with ${c.name} on, only those lines are written`, async (t) => {
    const socket = await serve(t, (res) => {
      res.propaneContext = CONTEXT;
      res.propaneLines = c.lines;
      res.end('ok\n');
    });
    const raw = await rawGet(socket, '/');
    const names = raw.split('\r\n').map((l) => l.split(':')[0]!.toLowerCase());
    t.same(['x-request-id', 'x-correlation-id', 'traceparent', 'x-trace-id'].filter((n) => names.includes(n)), c.want);
  });
}
