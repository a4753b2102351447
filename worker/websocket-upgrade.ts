import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { PropaneRequest } from '../contracts/app.js';
import type { SessionKind } from '../contracts/ipc.js';
import type { Admission } from './admission.js';
import type { LoadedApp } from './app-loader.js';
import type { ClusterView } from './cluster-view.js';
import { connOf } from './connection.js';
import { rawResponse } from './raw-responses.js';
import { attachContext, contextOf, identify, responseHeaderPairs, type IdentityHeaderSettings } from './request-identity.js';
import type { SessionRefusal } from './session-refusal.js';
import type { WorkerCounters } from './stats.js';
import type { WebSocketHub } from './websocket.js';

export interface WebSocketUpgradeDeps {
  app: LoadedApp;
  view: ClusterView;
  counters: WorkerCounters;
  admission: Admission;
  hub: WebSocketHub;
  refusal: SessionRefusal;
  releasePermit: (kind: SessionKind) => void;
  identityHeaders: IdentityHeaderSettings;
}

/**
 * An HTTP upgrade: only to WebSocket and only when the app takes WebSockets
 * (404 otherwise), and only with a WebSocket permit (the 503 otherwise).
 * Until the handshake completes the connection holds both permits; then its
 * HTTP permit goes back and it counts as one WebSocket session. The request
 * is identified like any other: `req.propane`, and the identity and trace
 * headers on the 101 (through the hub), the 404 and the 503.
 */
export function handleUpgrade(deps: WebSocketUpgradeDeps, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const conn = connOf(socket);
  const { app, admission } = deps;
  const context = identify(req.headers);
  attachContext(req, context);
  if (!conn || !app.websocket || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    socket.end(rawResponse('404 Not Found', 'no websocket here\n', [...responseHeaderPairs(context, deps.identityHeaders), ...deps.view.headers]));
    return;
  }
  conn.upgraded = true;
  const open = (): void => {
    if (conn.closed) return admission.release();
    conn.pendingWebSocketPermit = true;
    deps.counters.sessions.websocket++;
    deps.hub.upgrade(req, socket, head, (ws) => {
      conn.pendingWebSocketPermit = false;
      if (conn.held === 'http') deps.releasePermit('http');
      conn.held = 'websocket';
      app.websocket!(ws, req as PropaneRequest);
    });
  };
  const admitted = admission.admit((ok) => (ok ? open() : deps.refusal.refuseUpgrade(conn, context, head.length > 0)));
  if (admitted) open();
}

/** The extra headers of the 101 that completes a handshake: the upgrade request's identity and trace lines, then the cluster's. */
export function handshakeHeaders(req: IncomingMessage, on: IdentityHeaderSettings, view: ClusterView): ReadonlyArray<readonly [string, string]> {
  const context = contextOf(req);
  return context === undefined ? view.headers : [...responseHeaderPairs(context, on), ...view.headers];
}
