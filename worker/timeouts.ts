import type { Conn } from './connection.js';
import type { TimeoutReason } from './stats.js';

export interface TimeoutLimitsMs {
  header: number;
  body: number;
  idle: number;
  write: number;
}

export type TimeoutVerdict = { conn: Conn; reason: TimeoutReason; answer408: boolean };

/**
 * One sweep over the open HTTP connections (docs/endpoints.md, "Timeouts"),
 * instead of a timer per connection: the hot path only stamps fields. Pure
 * apart from reading socket counters; the caller acts on the verdicts.
 */
export function sweepTimeouts(conns: Iterable<Conn>, now: number, limits: TimeoutLimitsMs): TimeoutVerdict[] {
  const verdicts: TimeoutVerdict[] = [];
  for (const conn of conns) {
    // A TLS handshake has its own timeout (tls.Server's handshakeTimeout); until it completes the raw
    // socket's bytes are handshake bytes, which would start the header timer or look idle.
    if (conn.closed || conn.upgraded || conn.handshaking) continue;
    const { socket } = conn;

    // Progress is any change in what was handed to the kernel or what is still queued:
    // a stream written in chunks moves both as the client reads.
    if (socket.writableLength > 0) {
      const moved = socket.bytesWritten !== conn.bytesWrittenAtCheck || socket.writableLength !== conn.writableLengthAtCheck;
      if (moved || conn.writeStalledSince === 0) {
        conn.bytesWrittenAtCheck = socket.bytesWritten;
        conn.writableLengthAtCheck = socket.writableLength;
        conn.writeStalledSince = now;
      } else if (now - conn.writeStalledSince >= limits.write) {
        verdicts.push({ conn, reason: 'write', answer408: false });
        continue;
      }
    } else {
      conn.writeStalledSince = 0;
    }

    if (conn.req) {
      // A body still arriving: before any answer it gets the 408; after a
      // finished answer (the app did not wait for it) it is just cut; while
      // the app streams its answer (full duplex) it is left alone.
      if (!conn.req.complete && now - conn.reqStartedAt >= limits.body) {
        if (!(conn.res?.headersSent ?? false)) verdicts.push({ conn, reason: 'body', answer408: true });
        else if (conn.res?.writableFinished ?? false) verdicts.push({ conn, reason: 'body', answer408: false });
      }
      continue;
    }

    if (conn.headerStartedAt === 0 && socket.bytesRead > conn.bytesReadAtIdle) conn.headerStartedAt = now;
    if (conn.headerStartedAt !== 0) {
      if (now - conn.headerStartedAt >= limits.header) verdicts.push({ conn, reason: 'header', answer408: true });
    } else if (now - conn.idleSince >= limits.idle) {
      verdicts.push({ conn, reason: 'idle', answer408: false });
    }
  }
  return verdicts;
}

/** How often to sweep: a quarter of the shortest timeout, between 100 ms and 1 s. */
export function sweepIntervalMs(limits: TimeoutLimitsMs): number {
  return Math.min(1000, Math.max(100, Math.floor(Math.min(limits.header, limits.body, limits.idle, limits.write) / 4)));
}
