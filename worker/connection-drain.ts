import type { Conn } from './connection.js';

/**
 * In a shutdown, a keep-alive connection quiet this long is closed: the node
 * is leaving (its readiness already says so), and closing an idle socket only
 * races a client that reuses it at that very instant, which client pools make
 * rare by reusing their most recent socket first.
 */
export const SHUTDOWN_QUIET_MS = 1000;
const DRAIN_SWEEP_MS = 50;

/**
 * The HTTP part of a drain (docs/operations.md, "The drain of an old
 * worker"): responses not yet started get `Connection: close`, connections
 * close once quiet for `quietMs`, and at `deadline` (a performance.now()
 * time) whatever is left is destroyed. Upgraded connections are left to the
 * WebSocket hub.
 *
 * A reload passes the idle timeout as `quietMs`: closing an idle keep-alive
 * socket races a client that reuses it at that instant (HTTP/1.1 has no way
 * around it), and a reload has a ready replacement, so no hurry; with the
 * idle timeout a drain closes no connection that idleSeconds would not have
 * closed anyway, while busy connections get Connection: close with their
 * next answer. A 1 s quiet period still let a bursty pooled client hit the
 * race about once in twenty CI runs of the reload test.
 */
export async function drainHttpConnections(conns: ReadonlySet<Conn>, deadline: number, quietMs: number): Promise<void> {
  for (const conn of conns) if (conn.res && !conn.res.headersSent) conn.res.shouldKeepAlive = false;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      let open = 0;
      for (const conn of conns) {
        if (conn.upgraded || conn.closed) continue;
        // A socket still waiting for its permit is paused, so it reads nothing: not quiet, just not started.
        // Nor is one mid-handshake (ending it would send a bare FIN); the handshake timeout bounds it.
        const quiet = conn.held !== null && !conn.handshaking && !conn.req && conn.socket.bytesRead === conn.bytesReadAtIdle && now - conn.idleSince >= quietMs;
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
