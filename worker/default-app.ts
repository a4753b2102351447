import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { AppObject } from '../contracts/app.js';

const MAX_SLOW_MS = 60_000;
const MAX_ECHO_BYTES = 1024 * 1024;

/** The embedded app the README describes: what `make run` serves and tests know. */
export const defaultApp: AppObject = {
  handler(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/') {
      return void send(res, 200, `hello from propane worker ${process.pid}\n`);
    }
    if (req.method === 'GET' && url.pathname === '/slow') {
      const ms = slowDelayMs(url.searchParams.get('ms'));
      if (ms === null) return void send(res, 400, `ms must be a number of milliseconds, 0 to ${MAX_SLOW_MS}\n`);
      const timer = setTimeout(() => send(res, 200, `slept ${ms} ms\n`), ms);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/echo') return void echo(req, res);
    send(res, 404, 'not found\n');
  },

  websocket(socket: unknown, req: IncomingMessage) {
    const ws = socket as WebSocket;
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') {
      ws.close(1008, 'no websocket at this path');
      return;
    }
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  },
};

/** `/slow?ms=N`: N milliseconds, capped at 60000 so a typo cannot hold a session for hours; null when N is not a number >= 0. */
export function slowDelayMs(raw: string | null): number | null {
  const ms = Number(raw ?? '0');
  if (raw?.trim() === '' || !Number.isFinite(ms) || ms < 0) return null;
  return Math.min(Math.round(ms), MAX_SLOW_MS);
}

function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ECHO_BYTES) {
      send(res, 413, 'payload too large\n');
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' }).end(Buffer.concat(chunks));
  });
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}
