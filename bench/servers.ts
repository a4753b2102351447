import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callStatusSocket } from '../supervisor/status-client.js';
import { freePort } from '../tests/helpers/ports.js';
import { killOnExit } from '../tests/helpers/processes.js';
import { sleep } from '../tests/helpers/wait.js';

export type Policy = 'round_robin' | 'none';

const here = fileURLToPath(new URL('.', import.meta.url));
export const CLI = join(here, '../supervisor/cli.js');
export const HELLO_APP = join(here, 'hello-app.js');
const BASELINE = join(here, 'baseline-cluster.js');

/** A server the benchmark started; `stop()` ends it and everything it forked. */
export interface Running {
  name: string;
  port: number;
  pid: number;
  statusSocket?: string;
  stop(): Promise<void>;
}

const sockets = new Set<string>();
// Whatever happens to the harness, it leaves nothing running (killOnExit) and no socket file behind.
process.once('exit', () => {
  for (const s of sockets) rmSync(s, { force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

export function track(child: ChildProcess, name: string, port: number, statusSocket?: string): Running {
  killOnExit(child);
  if (statusSocket) sockets.add(statusSocket);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    port,
    pid: child.pid!,
    statusSocket,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      if (statusSocket) {
        rmSync(statusSocket, { force: true });
        sockets.delete(statusSocket);
      }
    },
  };
}

export function waitForLine(child: ChildProcess, pred: (line: string) => boolean, timeoutMs: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: string): void => {
      buf += chunk;
      for (const line of buf.split('\n')) {
        if (pred(line)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          return resolve(line);
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${String(code)}) before it was ready`)));
  });
}

export async function startBaseline(workers: number, policy: Policy): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [BASELINE, String(port), String(workers), policy], { stdio: ['ignore', 'pipe', 'inherit'] });
  const run = track(child, `node:cluster ${policy}`, port);
  await waitForLine(child, (l) => l === 'ready', 20_000, run.name);
  return run;
}

export async function startPropane(workers: number, policy: Policy, extraArgs: string[] = []): Promise<Running> {
  const port = await freePort();
  const statusSocket = join(tmpdir(), `propane-bench-${process.pid}-${port}.sock`);
  const args = [CLI, 'start', HELLO_APP, '--workers', String(workers), '--port', String(port), '--status-socket', statusSocket, '--scheduling-policy', policy, '--log-level', 'warn', ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmpdir() });
  const run = track(child, `propane ${policy}`, port, statusSocket);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const s = JSON.parse((await callStatusSocket(statusSocket, 'GET', '/status', 2_000)).body) as { workers: Array<{ state: string }> };
      if (s.workers.filter((w) => w.state === 'ready').length === workers) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await run.stop();
      throw new Error(`${run.name} not ready within 30 s`);
    }
    await sleep(100);
  }
  return run;
}
