import { spawn } from 'node:child_process';
import t from 'tap';
import { makeCertificates, readPem, requireOpenssl, tlsConfig } from '../helpers/certificates.js';
import { withLoadLock } from '../helpers/load-lock.js';
import { describeLoad, failures, startLoad } from '../helpers/load.js';
import { fixtureClient } from '../helpers/paths.js';
import { killOnExit, nodeCommand } from '../helpers/processes.js';
import { valueOf } from '../helpers/prometheus.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { httpsGet } from '../helpers/tls-client.js';
import { pollUntil } from '../helpers/wait.js';

// A slow-handshake flood (docs/tls.md, "Handshake timeout"): connections that open TCP and never
// finish their ClientHello are cut after timeouts.handshakeSeconds and counted as
// propane_timeouts_total{reason="handshake"}, logged a few rate-limited lines at a time. Each held
// a session permit from admission to the cut, no longer.

const FLOOD = 300;
const TRICKLE_MS = 200;
const HANDSHAKE_SECONDS = 2;

interface FloodReport {
  count: number;
  closed: number;
  results: Array<{ lifeMs: number; received: number }>;
}

interface Flood {
  /** Resolves once every connection of the flood is open. */
  connected: Promise<void>;
  /** Resolves with the report once every connection was closed (or the client gave up after 30 s). */
  done: Promise<FloodReport>;
}

function startFlood(t: { teardown(fn: () => unknown): void }, port: number): Flood {
  const flood = killOnExit(spawn(...nodeCommand([fixtureClient('slowloris.cjs'), String(port), String(FLOOD), String(TRICKLE_MS), '30000', 'handshake']), { stdio: ['ignore', 'pipe', 'inherit'] }));
  t.teardown(() => flood.kill('SIGKILL'));
  let out = '';
  let onConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  flood.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    if (out.includes('"connected"')) onConnected();
  });
  const done = new Promise<FloodReport>((resolve) => flood.once('exit', () => resolve(JSON.parse(out.trim().split('\n').at(-1)!) as FloodReport)));
  return { connected, done };
}

/** Cut times in ms, for the record: the handshake timeout is measured here, never asserted. */
function describeCuts(report: FloodReport): string {
  const ms = report.results.map((r) => r.lifeMs).sort((a, b) => a - b);
  const at = (q: number): number => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? -1;
  return `${report.closed}/${report.count} cut; connect to close: min ${ms[0]} ms, median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms.at(-1)} ms (handshakeSeconds ${HANDSHAKE_SECONDS})`;
}

async function handshakeTimeouts(node: PropaneNode, atLeast: number): Promise<number> {
  const m = await pollUntil(() => node.metrics(), (e) => (valueOf(e, 'propane_timeouts_total', { reason: 'handshake' }) ?? 0) >= atLeast, 10_000);
  return valueOf(m, 'propane_timeouts_total', { reason: 'handshake' }) ?? 0;
}

if (requireOpenssl(t)) {
  const certs = makeCertificates(t);
  const ca = readPem(certs.ca);

  t.test(`${FLOOD} stalled handshakes against a limit of 1000 are all cut after handshakeSeconds and counted, while a normal HTTPS client is served`, async (t) => {
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server), timeouts: { handshakeSeconds: HANDSHAKE_SECONDS }, runtimeLimits: { maxConcurrentHTTPSessions: 1000 } } });
    const { report, normal } = await withLoadLock(async () => {
      const flood = startFlood(t, node.port);
      // A normal HTTPS client beside the flood: one request at a time, a new connection (full handshake) each.
      const load = startLoad(node.port, { ca, shape: 'per-request', concurrency: 1, pauseMs: 200, timeoutMs: 5_000 });
      t.teardown(() => load.stop());
      const report = await flood.done;
      return { report, normal: await load.stop() };
    });
    t.comment(describeCuts(report));

    t.equal(report.closed, FLOOD, 'the server closed every stalled connection before the client gave up (30 s)');
    t.same(report.results.filter((r) => r.received > 0), [], 'without a byte of answer');
    t.ok(normal.ok >= 5, `the normal HTTPS client was served throughout (${normal.ok} requests)`);
    t.equal(failures(normal), 0, `no normal request failed: ${describeLoad(normal)}`);
    t.equal(await handshakeTimeouts(node, FLOOD), FLOOD, 'propane_timeouts_total{reason="handshake"} counts every cut');
    const m = await node.metrics();
    for (const reason of ['protocol', 'no_client_certificate', 'bad_client_certificate', 'other']) {
      t.equal(valueOf(m, 'propane_tls_handshake_failures_total', { reason }), 0, `and none as a handshake failure (${reason})`);
    }
    const lines = node.logs.filter((l) => l.event === 'timeout' && l.reason === 'handshake');
    t.ok(lines.length >= 1 && lines.length <= 8, `the flood was logged in ${lines.length} rate-limited lines, not ${FLOOD}`);
    const status = await node.waitForStatus((s) => s.totals.sessions.http === 0, 10_000);
    t.equal(status.totals.sessions.http, 0, 'every permit came back');
    t.equal((await httpsGet(node.port, '/healthz', { ca })).body, 'ok\n', 'the node keeps serving');
  });

  t.test(`against a limit of 100, below the flood of ${FLOOD}, the stalled handshakes hold permits only until the timeout, and the node admits again`, async (t) => {
    const LIMIT = 100;
    const node = await startPropane(t, { workers: 2, config: { tls: tlsConfig(certs.server), timeouts: { handshakeSeconds: HANDSHAKE_SECONDS }, runtimeLimits: { maxConcurrentHTTPSessions: LIMIT } } });
    const { report, held } = await withLoadLock(async () => {
      const flood = startFlood(t, node.port);
      await flood.connected;
      const during = await node.status();
      return { report: await flood.done, held: during.totals.sessions.http };
    });
    t.comment(describeCuts(report));
    t.comment(`${held} permits held by stalled handshakes while the flood was connected`);

    t.ok(held > 0 && held <= LIMIT, `the stalled handshakes held permits, never more than the limit (${held})`);
    t.equal(report.closed, FLOOD, 'the server closed every connection of the flood');
    const status = await node.waitForStatus((s) => s.totals.sessions.http === 0, 10_000);
    t.equal(status.totals.sessions.http, 0, 'after the timeout every permit is back');
    const timeouts = await handshakeTimeouts(node, 1);
    const rejected = (await node.waitForStatus((s) => s.totals.rejected.http_session_limit + timeouts === FLOOD, 10_000)).totals.rejected.http_session_limit;
    t.ok(timeouts > 0 && timeouts <= LIMIT, `the admitted ones were cut by the handshake timeout (${timeouts})`);
    t.equal(timeouts + rejected, FLOOD, `the others were refused for the limit (${rejected}): every connection accounted for once`);
    const after = await httpsGet(node.port, '/', { ca });
    t.equal(after.status, 200, 'the node admits again afterwards');
  });
}
