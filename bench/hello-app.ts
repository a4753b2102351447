import type { IncomingMessage, ServerResponse } from 'node:http';

/** The one handler both sides serve: a tiny text answer, so the runtime's own cost dominates. */
export default function hello(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '6' });
  res.end('hello\n');
}

/**
 * The same handler writing `extra` headers first, as plain node:http writes
 * headers (one writeHead object): the baseline that sends the bytes propane
 * sends, so a ratio against it measures propane's work, not header bytes.
 */
export function helloWithHeaders(extra: Readonly<Record<string, string>>): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(200, { ...extra, 'Content-Type': 'text/plain', 'Content-Length': '6' });
    res.end('hello\n');
  };
}
