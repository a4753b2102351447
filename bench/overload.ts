import WebSocket from 'ws';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { probeRefusals, type ProbeResult } from './refusal-probe.js';
import { selfSignedCertificate } from './self-signed.js';
import { HELLO_APP, HELLO_WEBSOCKET_APP, startBaseline, startPropane, type Policy, type Running } from './servers.js';
import { median, percentile, runWrk, type WrkOptions, type WrkResult } from './wrk.js';

/**
 * Refusals under overload (docs/session-limits.md), side by side with plain
 * node:cluster whose workers set server.maxConnections = limit / workers:
 * the cheapest refusal Node has (a drop at accept, no answer). `limit`
 * keep-alive clients hold every permit; their throughput is measured alone
 * and while `flood` x `limit` more clients (one connection per request)
 * hammer the node, and an open-loop probe times single refused connections.
 * With --floor, a third side: node:cluster whose workers answer the
 * connections past their share with a fixed 503 (over TLS, after a
 * handshake) instead of dropping them, the least any Node server that answers can do. Alone and
 * flooded phases alternate, and so do the servers, every round; medians.
 *
 * With --websocket the flood is of WebSocket upgrades: `limit` WebSockets
 * hold every WebSocket permit, the keep-alive clients are admitted HTTP
 * sessions beside them, and every upgrade gets the websocket_session_limit
 * 503 (no node:cluster side: it has no WebSocket limit to compare with).
 *
 *   node dist/bench/overload.js [--policy none|round_robin|reuse_port] [--tls] [--websocket] [--flood 3] [--floor] [--limit 50] [--rounds 3] [--duration 5]
 */
const values = benchArgs({ limit: 50, rounds: 3, duration: 5, policy: 'none', workers: 2, flood: 3, tls: false, websocket: false, 'probe-every': 20, floor: false });
const { limit, rounds, workers, flood, tls, websocket } = values;
const policy = values.policy as Policy;
const durationSeconds = values.duration;

const UPGRADE = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
const PROBE_REQUEST = websocket ? `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE.join('\r\n')}\r\n\r\n` : 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const REASON = websocket ? 'websocket_session_limit' : 'http_session_limit';

interface Side {
  server: Running;
  alone: WrkResult[];
  held: WrkResult[];
  flood: WrkResult[];
  probe: ProbeResult;
}

async function overloadPhase(side: Side): Promise<void> {
  const port = side.server.port;
  // The flood starts once the keep-alive clients hold every permit, and ends before they do.
  const held = runWrk({ port, tls, connections: limit, durationSeconds: durationSeconds + 1 });
  await sleep(500);
  const floodOptions: WrkOptions = { port, tls, connections: flood * limit, durationSeconds, ...(websocket ? { headers: UPGRADE } : { close: true }) };
  const flooding = runWrk(floodOptions);
  await sleep(500);
  const p = await probeRefusals({ port, tls, durationMs: (durationSeconds - 1) * 1000, everyMs: values['probe-every'], request: PROBE_REQUEST, reason: REASON });
  side.probe.latencies.push(...p.latencies);
  side.probe.dropped += p.dropped;
  side.probe.other += p.other;
  side.flood.push(await flooding);
  side.held.push(await held);
}

/** Opens `count` WebSockets that hold every WebSocket permit for the whole run. */
async function holdWebSockets(port: number, count: number): Promise<WebSocket[]> {
  const scheme = tls ? 'wss' : 'ws';
  return Promise.all(
    Array.from({ length: count }, () => {
      const ws = new WebSocket(`${scheme}://127.0.0.1:${port}/`, { rejectUnauthorized: false });
      return new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject));
    }),
  );
}

async function main(): Promise<string> {
  const cert = tls ? selfSignedCertificate() : null;
  const env: Record<string, string> = cert ? { ARLEN_TLS_CERT_FILE: cert.cert, ARLEN_TLS_KEY_FILE: cert.key } : {};
  const sides: Side[] = [];
  const sockets: WebSocket[] = [];
  const newSide = (server: Running): Side => ({ server, alone: [], held: [], flood: [], probe: { latencies: [], dropped: 0, other: 0 } });
  try {
    const share = Math.floor(limit / workers);
    const baselineTls = cert ? { tls: { cert: cert.cert, key: cert.key } } : {};
    if (!websocket) sides.push(newSide(await startBaseline(workers, policy, { maxConnections: share, ...baselineTls, label: `maxConnections ${share}` })));
    if (!websocket && values.floor) sides.push(newSide(await startBaseline(workers, policy, { maxConnections: share, answerOverflow: true, ...baselineTls, label: `answers past ${share}` })));
    const limitArgs = websocket ? ['--max-websocket-sessions', String(limit), '--max-http-sessions', String((flood + 2) * limit + 64)] : ['--max-http-sessions', String(limit)];
    sides.push(newSide(await startPropane(workers, policy, limitArgs, { env, app: websocket ? HELLO_WEBSOCKET_APP : HELLO_APP })));
    if (websocket) sockets.push(...(await holdWebSockets(sides.at(-1)!.server.port, limit)));
    for (const side of sides) await runWrk({ port: side.server.port, tls, connections: limit, durationSeconds: 1 });
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const phases = i % 2 === 0 ? (['alone', 'overload'] as const) : (['overload', 'alone'] as const);
        for (const phase of phases) {
          if (phase === 'alone') side.alone.push(await runWrk({ port: side.server.port, tls, connections: limit, durationSeconds }));
          else await overloadPhase(side);
          process.stderr.write(`  round ${i + 1} ${side.server.name} ${phase} done\n`);
        }
      }
    }
  } finally {
    for (const ws of sockets) ws.terminate();
    for (const side of sides) await side.server.stop();
    cert?.remove();
  }
  return report(sides);
}

function report(sides: Side[]): string {
  const m = (rs: WrkResult[], f: (r: WrkResult) => number): number => median(rs.map(f));
  const what = websocket ? 'WebSocket upgrades' : "connections, one request each (-H 'Connection: close')";
  const lines = [
    `${workers} workers, ${policy}${tls ? ', TLS' : ''}, limit ${limit} ${websocket ? 'WebSocket' : 'HTTP'} sessions; admitted: wrk -t1 -c${limit} keep-alive${websocket ? ` beside ${limit} open WebSockets` : ''}, alone and beside a flood of ${flood * limit} ${what} (${flood + 1}x the limit); open-loop probe: one fresh connection every ${values['probe-every']} ms; ${rounds} interleaved rounds, medians`,
    '',
    '| server | admitted alone req/s | under the flood req/s | **kept** | admitted p99 alone / flood ms | admitted non-2xx + errors | flood refusals/s (503s + drops) | refused: **503 p50 / p99** (probe) | probe: dropped / other |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of sides) {
    const kept = m(s.held, (r) => r.requestsPerSec) / m(s.alone, (r) => r.requestsPerSec);
    const lat = s.probe.latencies;
    const answered = lat.length > 0 ? `${percentile(lat, 50).toFixed(2)} / **${percentile(lat, 99).toFixed(2)}** ms (${lat.length})` : '—';
    const bad = [...s.alone, ...s.held].reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
    lines.push(
      `| ${s.server.name} | ${m(s.alone, (r) => r.requestsPerSec).toFixed(0)} | ${m(s.held, (r) => r.requestsPerSec).toFixed(0)} | **${kept.toFixed(3)}** | ${m(s.alone, (r) => r.latencyMs.p99).toFixed(2)} / ${m(s.held, (r) => r.latencyMs.p99).toFixed(2)} | ${bad} | ${m(s.flood, (r) => (r.non2xx + r.socketErrors) / durationSeconds).toFixed(0)} | ${answered} | ${s.probe.dropped} / ${s.probe.other} |`,
    );
  }
  const json = sides.map((s) => ({ server: s.server.name, alone: s.alone, held: s.held, flood: s.flood, probe: { count: s.probe.latencies.length, p50: percentile(s.probe.latencies, 50), p99: percentile(s.probe.latencies, 99), dropped: s.probe.dropped, other: s.probe.other } }));
  return `${lines.join('\n')}\n\n<!-- json ${JSON.stringify(json)} -->`;
}

process.stdout.write(`${await withLoadLock(main)}\n`);
