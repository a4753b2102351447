import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { withLoadLock } from '../tests/helpers/load-lock.js';
import { freePort } from '../tests/helpers/ports.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { startBaseline, startPropane, track, type Running } from './servers.js';
import { median, runWrk } from './wrk.js';

/**
 * What one refused connection costs the server, in CPU: one worker whose
 * only session is held, flooded by wrk with one connection per request;
 * the CPU time of the whole process tree (supervisor or primary and
 * workers, from /proc, Linux only) divided by the connections refused.
 * Side by side: propane (the 503), node:cluster dropping at
 * server.maxConnections (no answer), and bench/refusal-floor.ts, the least
 * a Node server can do to answer (read, write a fixed 503, close).
 * Interleaved rounds, medians (bench/RESULTS.md).
 *
 *   node dist/bench/refusal-cpu.js [--rounds 3] [--duration 5] [--connections 150]
 */
const args = benchArgs({ rounds: 3, duration: 5, connections: 150 });
const FLOOR = fileURLToPath(new URL('refusal-floor.js', import.meta.url));

/** CPU seconds (user + system) of `pid` and its descendants so far. */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const walk = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(' ').filter(Boolean)) walk(Number(child));
    } catch {
      // Gone meanwhile.
    }
  };
  walk(pid);
  return ticks / 100;
}

async function startFloor(): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [FLOOR, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const run = track(child, 'floor: read, fixed 503, close', port);
  await sleep(500);
  return run;
}

/** A session admitted on the server: a keep-alive connection whose GET was answered 200. */
async function holdSession(port: number): Promise<Socket> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const held: Socket = connect(port, '127.0.0.1', () => held.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    held.on('error', () => {});
    const answer = await new Promise<string>((r) => held.once('data', (d: Buffer) => r(d.toString('latin1'))).once('close', () => r('')));
    if (answer.startsWith('HTTP/1.1 200')) return held;
    // The previous round's session closed just now: its permit may take one IPC push to be seen (docs/session-limits.md).
    held.destroy();
    await sleep(20);
  }
  throw new Error(`no session admitted on port ${port}`);
}

/** Holds the server's one session, floods it, and returns the CPU microseconds per refused connection. */
async function measure(server: Running): Promise<{ usPerRefusal: number; refusedPerSec: number }> {
  const held = await holdSession(server.port);
  const before = treeCpuSeconds(server.pid);
  const r = await runWrk({ port: server.port, connections: args.connections, durationSeconds: args.duration, close: true });
  const cpu = treeCpuSeconds(server.pid) - before;
  held.destroy();
  const refused = r.non2xx + r.socketErrors;
  if (r.requests > r.non2xx) throw new Error(`${server.name}: ${r.requests - r.non2xx} flood requests were admitted; the held session did not hold`);
  return { usPerRefusal: (cpu * 1e6) / refused, refusedPerSec: refused / args.duration };
}

async function main(): Promise<string> {
  const servers: Running[] = [];
  const results = new Map<string, Array<{ usPerRefusal: number; refusedPerSec: number }>>();
  try {
    // The held session must outlive the flood: an idle timeout longer than any round.
    servers.push(await startPropane(1, 'none', ['--max-http-sessions', '1'], { label: 'one worker, limit 1', env: { ARLEN_IDLE_TIMEOUT_SECONDS: '600' } }));
    servers.push(await startBaseline(1, 'none', { maxConnections: 1, label: 'maxConnections 1' }));
    servers.push(await startFloor());
    for (let i = 0; i < args.rounds; i++) {
      for (const s of i % 2 === 0 ? servers : [...servers].reverse()) {
        const m = await measure(s);
        results.set(s.name, [...(results.get(s.name) ?? []), m]);
        process.stderr.write(`  round ${i + 1} ${s.name}: ${m.usPerRefusal.toFixed(1)} us per refusal\n`);
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  const lines = [`wrk -t1 -c${args.connections} -d${args.duration}s -H 'Connection: close' against one worker whose one session is held; CPU of the process tree per refused connection; ${args.rounds} interleaved rounds, medians`, '', '| server | refused per second | CPU per refused connection |', '| --- | ---: | ---: |'];
  for (const [name, ms] of results) lines.push(`| ${name} | ${median(ms.map((m) => m.refusedPerSec)).toFixed(0)} | **${median(ms.map((m) => m.usPerRefusal)).toFixed(1)} us** |`);
  return `${lines.join('\n')}\n\n<!-- json ${JSON.stringify(Object.fromEntries(results))} -->`;
}

process.stdout.write(`${await withLoadLock(main)}\n`);
