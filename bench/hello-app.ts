import type { IncomingMessage, ServerResponse } from 'node:http';

/** The one handler both sides serve: a tiny text answer, so the runtime's own cost dominates. */
export default function hello(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '6' });
  res.end('hello\n');
}
