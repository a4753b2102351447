import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import t from 'tap';
import { headEnd, scanHead } from '../../../worker/refused-head.js';

const echoedHeaders = (head: string): unknown => scanHead(head).echoed;

t.test('headEnd finds the blank line that ends a head, across chunk boundaries', async (t) => {
  const head = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
  for (const c of [
    { name: 'CRLF lines', text: `${head}body`, want: head.length },
    { name: 'a bare request line', text: 'GET / HTTP/1.1\r\n\r\n', want: 18 },
    { name: 'bare LF lines too, which node:http refuses: a refused client gets its 503 either way', text: 'GET / HTTP/1.1\nHost: x\n\n', want: 24 },
    { name: 'not yet complete', text: 'GET / HTTP/1.1\r\nHost: x\r\n\r', want: -1 },
    { name: 'nothing yet', text: '', want: -1 },
  ]) {
    t.test(c.name, async (t) => t.equal(headEnd(c.text), c.want));
  }
  t.test('searching on from where the last chunk ended still finds a blank line split across chunks', async (t) => {
    for (let cut = 1; cut < head.length; cut++) {
      t.equal(headEnd(head.slice(0, cut)) < 0 || cut === head.length, true);
      t.equal(headEnd(head, cut), head.length, `cut at ${cut}`);
    }
  });
});

const heads = [
  { name: 'none of the echoed headers', head: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', want: {} },
  { name: 'names in any case, values trimmed', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-REQUEST-ID:   abc \t\r\nTraceParent:00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n', want: { 'x-request-id': 'abc', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
  { name: 'repeats joined with ", "', head: 'GET / HTTP/1.1\r\nHost: x\r\ntraceparent: a\r\ntraceparent: b\r\nX-Trace-Id: c\r\ntracestate: k=v\r\ntracestate: l=w\r\n\r\n', want: { traceparent: 'a, b', 'x-trace-id': 'c', tracestate: 'k=v, l=w' } },
  { name: 'a value with inner blanks and colons', head: 'GET / HTTP/1.1\r\nx-request-id: a b:c\r\nHost: h\r\n\r\n', want: { 'x-request-id': 'a b:c' } },
];

t.test('echoedHeaders reads the request-identity and trace headers', async (t) => {
  for (const c of heads) t.test(c.name, async (t) => t.same(echoedHeaders(c.head), c.want));
  t.test('bare LF lines', async (t) => t.same(echoedHeaders('GET / HTTP/1.1\nHost: x\nx-request-id: lf\n\n'), { 'x-request-id': 'lf' }));
  t.test('lines without a colon before, between and after the headers are skipped, however many', async (t) => {
    const junk = 'a\r\n'.repeat(20_000);
    t.same(echoedHeaders(`GET / HTTP/1.1\r\n${junk}X-Request-Id: r1\r\n${junk}traceparent: tp\r\n${junk}\r\n`), { 'x-request-id': 'r1', traceparent: 'tp' });
  });
  t.test('a colon on a later line never names the line before it', async (t) => t.same(echoedHeaders('GET / HTTP/1.1\r\nx-request-id\r\nx: x-request-id: no\r\n:x-trace-id: no\r\n\r\n'), {}));
});

t.test('a body is announced by a Content-Length other than 0 or by a Transfer-Encoding', async (t) => {
  for (const [head, body] of [
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', false],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', false],
    ['POST / HTTP/1.1\r\nHost: x\r\ncontent-length:  12 \r\n\r\n', true],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', true],
  ] as const) {
    t.equal(scanHead(head).announcesBody, body, JSON.stringify(head));
  }
});

t.test('and reads them as node:http does', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.end();
  });
  t.teardown(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  for (const c of heads) {
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end(c.head));
      s.on('error', () => {});
      s.on('close', () => resolve());
      s.resume();
    });
    const parsed = seen.pop() ?? {};
    const echoed = Object.fromEntries(['x-request-id', 'traceparent', 'tracestate', 'x-trace-id'].filter((k) => k in parsed).map((k) => [k, parsed[k]]));
    t.same(echoedHeaders(c.head), echoed, c.name);
  }
});
