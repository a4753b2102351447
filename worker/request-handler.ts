import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PropaneRequest } from '../contracts/app.js';
import type { Logger } from '../shared/log.js';
import { logEvent } from '../shared/log.js';
import type { LoadedApp } from './app-loader.js';
import { serveBuiltin } from './builtin-endpoints.js';
import type { ClusterView } from './cluster-view.js';
import { connOf, type Conn } from './connection.js';
import { CAN_PRERENDER, PropaneResponse, renderHeaders } from './propane-response.js';
import { attachContext, contextOf, identify, logFields, responseHeaderPairs, type IdentityHeaderSettings } from './request-identity.js';
import type { WorkerCounters } from './stats.js';

export interface RequestContext {
  app: LoadedApp;
  view: ClusterView;
  counters: WorkerCounters;
  log: Logger;
  isDraining: () => boolean;
  securityHeaders: boolean;
  identityHeaders: IdentityHeaderSettings;
  trustedProxy: boolean;
  clusterzToken: string | null;
}

const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
];

/** The hot path: stamp the connection, identify the request, add the propane headers, then built-ins or the app. */
export function handleRequest(ctx: RequestContext, conn: Conn | undefined, req: IncomingMessage, res: ServerResponse): void {
  const startedAt = performance.now();
  if (conn) {
    conn.req = req;
    conn.res = res;
    conn.reqStartedAt = startedAt;
    conn.headerStartedAt = 0;
  }
  const context = identify(req.headers);
  attachContext(req, context);
  if (CAN_PRERENDER && res instanceof PropaneResponse) {
    res.propaneContext = context;
    res.propaneLines = ctx.identityHeaders;
    res.propaneHeaders = renderedHeaders(ctx);
  } else {
    for (const [name, value] of responseHeaderPairs(context, ctx.identityHeaders)) res.setHeader(name, value);
    for (const [name, value] of ctx.view.headers) res.setHeader(name, value);
    if (ctx.securityHeaders) for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  }
  if (ctx.isDraining()) res.shouldKeepAlive = false;

  (res as TimedResponse)[kStartedAt] = startedAt;
  res.on('close', (ctx as ListenerHolder)[kOnClose] ??= onResponseClose(ctx));

  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  if (serveBuiltin(req, res, pathname, q === -1 ? '' : url.slice(q + 1), { view: ctx.view, clusterzToken: ctx.clusterzToken })) return;

  const handler = ctx.app.handler;
  if (!handler) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  try {
    const result = handler(req as PropaneRequest, res);
    if (result instanceof Promise) result.catch((err: unknown) => failRequest(ctx, res, err));
  } catch (err) {
    failRequest(ctx, res, err);
  }
}

/**
 * The connection is idle once the response is done and the request body is
 * in: an app may answer before reading the body, and Node then drains it, so
 * until then the body timeout, not the idle or header one, keeps watch.
 */
function settleAfterResponse(conn: Conn, req: IncomingMessage): void {
  if (conn.req !== req) return;
  if (req.complete || conn.socket.destroyed) return markIdle(conn);
  req.once('end', () => {
    if (conn.req === req) markIdle(conn);
  });
}

const kStartedAt = Symbol('propane.startedAt');
const kOnClose = Symbol('propane.onResponseClose');
const kRendered = Symbol('propane.renderedHeaders');
type TimedResponse = ServerResponse & { [kStartedAt]?: number };
type ListenerHolder = RequestContext & { [kOnClose]?: (this: ServerResponse) => void };
type RenderCache = RequestContext & { [kRendered]?: { pairs: ReadonlyArray<readonly [string, string]>; text: string } };

/** The cluster (and security) header lines, rendered again only when the cluster state changed. */
function renderedHeaders(ctx: RequestContext): string {
  const pairs = ctx.view.headers;
  const cached = (ctx as RenderCache)[kRendered];
  if (cached?.pairs === pairs) return cached.text;
  const text = renderHeaders(ctx.securityHeaders ? [...pairs, ...SECURITY_HEADERS] : pairs);
  (ctx as RenderCache)[kRendered] = { pairs, text };
  return text;
}

/**
 * One listener per server, not two closures per request: a ServerResponse
 * emits 'close' after 'finish' (and alone when the client went away), so
 * this one place counts finished responses and marks the connection idle.
 */
function onResponseClose(ctx: RequestContext): (this: ServerResponse) => void {
  return function responseClosed(this: ServerResponse): void {
    const req = this.req;
    if (this.writableFinished) {
      const seconds = (performance.now() - ((this as TimedResponse)[kStartedAt] ?? 0)) / 1000;
      ctx.counters.recordResponse(this.statusCode, seconds);
      if (ctx.log.isLevelEnabled('debug')) logRequest(ctx, req, this, seconds);
    }
    const conn = connOf(req.socket);
    if (conn) settleAfterResponse(conn, req);
  };
}

function logRequest(ctx: RequestContext, req: IncomingMessage, res: ServerResponse, seconds: number): void {
  const forwarded = ctx.trustedProxy ? req.headers['x-forwarded-for'] : undefined;
  const client = typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : req.socket.remoteAddress;
  logEvent(ctx.log, 'debug', 'request', { ...logFields(contextOf(req)), method: req.method, url: req.url, status: res.statusCode, duration_ms: seconds * 1000, client }, 'request');
}

function markIdle(conn: Conn): void {
  conn.req = null;
  conn.res = null;
  conn.idleSince = performance.now();
  conn.bytesReadAtIdle = conn.socket.bytesRead;
}

/** An app error answers 500 and is logged with the request's ids; the worker keeps serving. */
function failRequest(ctx: RequestContext, res: ServerResponse, err: unknown): void {
  logEvent(ctx.log, 'error', 'app_error', { ...logFields(contextOf(res.req)), err }, 'the app threw while handling a request');
  if (!res.headersSent) {
    res.shouldKeepAlive = false;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('internal server error\n');
  } else {
    res.destroy();
  }
}
