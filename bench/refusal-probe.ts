import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { sleep } from '../tests/helpers/wait.js';

export interface ProbeResult {
  /** Connect to the end of each exact 503 (the whole body read), ms, ascending. */
  latencies: number[];
  /** Connections closed or reset with no answer: a drop. */
  dropped: number;
  /** Any other answer (a 200 that got in, a wrong 503). */
  other: number;
}

export interface ProbeOptions {
  port: number;
  durationMs: number;
  everyMs: number;
  tls: boolean;
  /** The request to send; its answer must be a 503 with this reason. */
  request: string;
  reason: string;
}

/**
 * An open-loop probe beside a flood (bench/overload.ts): every `everyMs` one
 * fresh connection sends `request`, whatever the earlier ones are doing, so
 * unlike wrk's closed loop it is not throttled by the flood's own queue. A
 * sample is the time from connect() to the last byte of the 503's body.
 */
export async function probeRefusals(o: ProbeOptions): Promise<ProbeResult> {
  const result: ProbeResult = { latencies: [], dropped: 0, other: 0 };
  const pending: Array<Promise<void>> = [];
  const end = performance.now() + o.durationMs;
  while (performance.now() < end) {
    pending.push(once(o, result));
    await sleep(o.everyMs);
  }
  await Promise.all(pending);
  result.latencies.sort((a, b) => a - b);
  return result;
}

function once(o: ProbeOptions, result: ProbeResult): Promise<void> {
  return new Promise<void>((resolve) => {
    const t0 = performance.now();
    const send = (): void => void s.write(o.request);
    const s: Socket = o.tls ? connectTls({ host: '127.0.0.1', port: o.port, rejectUnauthorized: false }, send) : connectTcp({ host: '127.0.0.1', port: o.port }, send);
    let text = '';
    let answeredAt = 0;
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (answeredAt === 0 && text.endsWith('\r\n\r\nserver busy\n')) answeredAt = performance.now();
    });
    s.on('error', () => {});
    s.setTimeout(10_000, () => s.destroy());
    s.once('close', () => {
      const exact = text.startsWith('HTTP/1.1 503 ') && text.includes(`\r\nX-Arlen-Backpressure-Reason: ${o.reason}\r\n`);
      if (answeredAt > 0 && exact) result.latencies.push(answeredAt - t0);
      else if (text === '') result.dropped++;
      else result.other++;
      resolve();
    });
  });
}
