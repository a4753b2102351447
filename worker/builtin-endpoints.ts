import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerMatches } from '../shared/bearer.js';
import type { ClusterView } from './cluster-view.js';

export interface BuiltinOptions {
  view: ClusterView;
  /** Set when the security profile protects /clusterz with status.token. */
  clusterzToken: string | null;
}

const PATHS = new Set(['/healthz', '/livez', '/readyz', '/clusterz']);

/** The built-in endpoints of docs/endpoints.md, served before the app. Returns false when the path is the app's. */
export function serveBuiltin(req: IncomingMessage, res: ServerResponse, pathname: string, query: string, opts: BuiltinOptions): boolean {
  if (!PATHS.has(pathname)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    text(res, 405, 'method not allowed\n');
    return true;
  }
  switch (pathname) {
    case '/healthz':
      text(res, 200, 'ok\n');
      return true;
    case '/livez':
      text(res, 200, 'live\n');
      return true;
    case '/readyz': {
      const payload = opts.view.readiness();
      const status = payload.ready ? 200 : 503;
      if (wantsJson(req, query)) json(res, status, payload);
      else text(res, status, `${payload.status}\n`);
      return true;
    }
    case '/clusterz':
      if (opts.clusterzToken !== null && !bearerMatches(req.headers.authorization, opts.clusterzToken)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        text(res, 401, 'unauthorized\n');
        return true;
      }
      json(res, 200, opts.view.clusterz());
      return true;
  }
  return false;
}

function wantsJson(req: IncomingMessage, query: string): boolean {
  return /(^|&)format=json(&|$)/.test(query) || (req.headers.accept ?? '').includes('application/json');
}

function text(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

/** writeHead sends the head at once, so the length is given here or the body would go chunked. */
function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' }).end(body);
}
