import type { WebSocket } from 'ws';
import hello from './hello-app.js';

/** The benchmark handler, plus WebSockets that stay open and do nothing: they hold permits (bench/overload.ts --websocket). */
export default {
  handler: hello,
  websocket(ws: WebSocket): void {
    ws.on('error', () => {});
  },
};
