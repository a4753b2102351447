import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { isCompleteResponse, rawConnect, rawGet, readUntil, statusOf } from '../helpers/http.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { sleep, within } from '../helpers/wait.js';

const TRIGGERS = ['SIGTERM', 'SIGINT', 'propane stop'] as const;

function trigger(node: PropaneNode, how: (typeof TRIGGERS)[number]): Promise<{ code: number | null; stderr: string }> {
  if (how === 'propane stop') return runCli(['stop', '--status-socket', node.socket]);
  node.proc.kill(how);
  return Promise.resolve({ code: 0, stderr: '' });
}

for (const how of TRIGGERS) {
  t.test(`${how}: in-flight requests finish with Connection: close, idle keep-alive connections close, /readyz is 503, socket and pid file go, exit 0`, async (t) => {
    const dir = tempDir(t);
    const pidFile = join(dir, 'propane.pid');
    const node = await startPropane(t, { workers: 2, args: ['--pid-file', pidFile, '--graceful-shutdown-seconds', '10'] });

    const idle = await rawConnect(node.port);
    t.teardown(() => idle.destroy());
    const warm = await rawGet(idle, '/');
    t.equal(statusOf(warm), 200);
    t.match(warm, /\r\nConnection: keep-alive\r\n/i, 'keep-alive before the stop');
    const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));

    const slow = await rawConnect(node.port);
    t.teardown(() => slow.destroy());
    slow.write('GET /slow?ms=2000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const slowReply = readUntil(slow, isCompleteResponse, 15_000).then((text) => ({ text, at: Date.now() }));

    // A request whose head is not finished yet keeps its connection open through the drain.
    const probe = await rawConnect(node.port);
    t.teardown(() => probe.destroy());
    probe.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(300);

    const fromIndex = node.logs.length;
    const stopping = trigger(node, how);
    await node.waitForLog((l) => l.event === 'worker_draining' && l.role === 'worker', 10_000, fromIndex);
    await sleep(100);
    probe.write('\r\n');
    const readyz = await readUntil(probe, isCompleteResponse, 5_000);
    t.equal(statusOf(readyz), 503, '/readyz from a draining worker');
    t.match(readyz, /\r\nConnection: close\r\n/i);

    const closedAt = await idleClosed;
    const { text, at } = await slowReply;
    t.equal(statusOf(text), 200, 'the /slow request started before the stop completes');
    t.match(text, /\r\n\r\n(e\r\n)?slept 2000 ms\n/);
    t.match(text, /\r\nConnection: close\r\n/i, 'answered with Connection: close');
    t.ok(closedAt < at, 'the idle keep-alive connection was closed without waiting for the in-flight request');

    const stopped = await stopping;
    t.equal(stopped.code, 0, stopped.stderr);
    t.same(await node.exited, { code: 0, signal: null });
    t.notOk(existsSync(node.socket), 'status socket removed');
    t.notOk(existsSync(pidFile), 'pid file removed');
    const result = await node.stop();
    t.same(result.leftovers, [], 'every worker is gone');
    t.ok(node.logs.some((l) => l.event === 'shutdown_started'), 'shutdown_started logged');
  });
}

t.test('a second SIGTERM during the drain stops at once, long before the grace period', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--graceful-shutdown-seconds', '30'] });
  const slow = await rawConnect(node.port);
  t.teardown(() => slow.destroy());
  slow.write('GET /slow?ms=20000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const reply = readUntil(slow, isCompleteResponse, 30_000);
  await sleep(300);

  node.proc.kill('SIGTERM');
  await node.waitForLog((l) => l.event === 'worker_draining' && l.role === 'worker', 10_000);
  const t0 = Date.now();
  node.proc.kill('SIGTERM');
  const exited = await within(node.exited, 8_000);
  t.ok(exited, 'exited within 8 s of the second signal (grace period 30 s, request 20 s)');
  t.same(exited, { code: 0, signal: null });
  t.ok(node.logs.some((l) => l.event === 'shutdown_forced'), 'shutdown_forced logged');
  t.equal(statusOf(await reply), 0, 'the 20 s request was cut, not answered');
  t.ok(Date.now() - t0 < 20_000);
  const result = await node.stop();
  t.same(result.leftovers, []);
});
