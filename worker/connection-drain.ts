import type { Conn } from './connection.js';

/**
 * A connection idle this long during a drain is closed. Closing an idle
 * keep-alive socket races a client that reuses it at that instant (HTTP/1.1
 * has no way around it); client pools reuse their most recent socket first,
 * so a socket quiet for a second is rarely the one picked next, while busy
 * connections are answered with Connection: close instead of being closed.
 * 250 ms still let a bursty pooled client hit the race in our reload test.
 */
const DRAIN_QUIET_MS = 1000;
const DRAIN_SWEEP_MS = 50;

/**
 * The HTTP part of a drain (docs/operations.md, "The drain of an old
 * worker"): responses not yet started get `Connection: close`, connections
 * close once quiet, and at `deadline` (a performance.now() time) whatever is
 * left is destroyed. Upgraded connections are left to the WebSocket hub.
 */
export async function drainHttpConnections(conns: ReadonlySet<Conn>, deadline: number): Promise<void> {
  for (const conn of conns) if (conn.res && !conn.res.headersSent) conn.res.shouldKeepAlive = false;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      let open = 0;
      for (const conn of conns) {
        if (conn.upgraded || conn.closed) continue;
        // A socket still waiting for its permit is paused, so it reads nothing: not quiet, just not started.
        const quiet = conn.held !== null && !conn.req && conn.socket.bytesRead === conn.bytesReadAtIdle && now - conn.idleSince >= DRAIN_QUIET_MS;
        if (quiet) conn.socket.end();
        else open++;
      }
      if (open === 0 || now >= deadline) return resolve();
      setTimeout(tick, DRAIN_SWEEP_MS);
    };
    tick();
  });
  for (const conn of conns) if (!conn.upgraded) conn.socket.destroy();
}
