import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { SessionKind } from '../contracts/ipc.js';
import type { Admission } from './admission.js';
import type { LoadedApp } from './app-loader.js';
import type { ClusterView } from './cluster-view.js';
import { connOf } from './connection.js';
import { rawResponse } from './raw-responses.js';
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
}

/**
 * An HTTP upgrade: only to WebSocket and only when the app takes WebSockets
 * (404 otherwise), and only with a WebSocket permit (the 503 otherwise).
 * Until the handshake completes the connection holds both permits; then its
 * HTTP permit goes back and it counts as one WebSocket session.
 */
export function handleUpgrade(deps: WebSocketUpgradeDeps, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const conn = connOf(socket);
  const { app, admission } = deps;
  if (!conn || !app.websocket || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    socket.end(rawResponse('404 Not Found', 'no websocket here\n', deps.view.headers));
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
      app.websocket!(ws, req);
    });
  };
  const admitted = admission.admit((ok) => (ok ? open() : deps.refusal.refuseUpgrade(conn)));
  if (admitted) open();
}
