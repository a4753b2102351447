import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

// A service manager's environment that cannot work (docs/deploy.md): one clear
// log line, and the node serves, reloads and stops as without it.

/** The node serves, reloads and stops cleanly; returns the sd_* log lines it wrote. */
async function servesReloadsStops(t: Test, node: PropaneNode): Promise<PropaneNode['logs']> {
  t.equal((await httpGet(node.port, '/')).status, 200, 'the node serves');
  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, `the node reloads ${reload.stderr}`);
  // At WATCHDOG_USEC=400000 the supervisor pings (or would) about five times in a second.
  await sleep(1_000);
  t.equal((await node.stop()).code, 0, 'the node stops with exit 0');
  return node.logs.filter((l) => typeof l.event === 'string' && l.event.startsWith('sd_') && l.event !== 'sd_notify_enabled');
}

t.test('NOTIFY_SOCKET pointing nowhere: one sd_notify_unavailable line, however many messages fail', async (t) => {
  const socket = join(tempDir(t), 'nobody-listens.sock');
  const node = await startPropane(t, { workers: 1, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '400000' } });
  const lines = await servesReloadsStops(t, node);
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], { event: 'sd_notify_unavailable', level: 40, socket, binary: 'systemd-notify', error_code: 1 });
  t.match(lines[0]?.msg, /^systemd-notify failed \(exit 1: .+\); notifications to NOTIFY_SOCKET=\S+ may be lost\. Fix: /);
});

t.test('systemd-notify missing from PATH: one sd_notify_unavailable line naming the fix', async (t) => {
  const receiver = await startNotifyReceiver(t);
  const node = await startPropane(t, { workers: 1, env: { NOTIFY_SOCKET: receiver.socket, WATCHDOG_USEC: '400000', PATH: tempDir(t) } });
  const lines = await servesReloadsStops(t, node);
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], { event: 'sd_notify_unavailable', level: 40, error_code: 'ENOENT' });
  t.match(lines[0]?.msg, /^systemd-notify cannot run \(ENOENT\); no service manager notification will be sent\. Fix: install systemd/);
  t.same(receiver.datagrams, [], 'nothing was sent');
});

const WATCHDOG_CASES: Array<{ name: string; env: Record<string, string>; msg: RegExp }> = [
  { name: 'WATCHDOG_USEC=0', env: { WATCHDOG_USEC: '0' }, msg: /^WATCHDOG_USEC="0" is not a positive number of microseconds; no watchdog pings are sent\. Fix: / },
  { name: 'WATCHDOG_USEC=junk', env: { WATCHDOG_USEC: 'junk' }, msg: /^WATCHDOG_USEC="junk" is not a positive number of microseconds/ },
  { name: "another process's WATCHDOG_PID", env: { WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' }, msg: /^WATCHDOG_PID="1" is not this process \(\d+\); its watchdog is another process's/ },
];
for (const c of WATCHDOG_CASES) {
  t.test(`${c.name}: one sd_watchdog_ignored line, no pings, and READY=1 all the same`, async (t) => {
    const receiver = await startNotifyReceiver(t);
    const node = await startPropane(t, { workers: 1, env: { NOTIFY_SOCKET: receiver.socket, ...c.env } });
    await receiver.waitFor(() => receiver.stateMessages.some((f) => f.includes('READY=1')));
    const lines = await servesReloadsStops(t, node);
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], { event: 'sd_watchdog_ignored', level: 40, watchdog_usec: c.env.WATCHDOG_USEC });
    t.match(lines[0]?.msg, c.msg);
    await receiver.waitFor(() => receiver.stateMessages.some((f) => f.includes('STOPPING=1')));
    t.equal(receiver.pings, 0, 'no watchdog ping');
    t.same(receiver.stateMessages.map((f) => f[0]), ['MAINPID=' + String(node.pid), 'READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1'], 'every other message is sent');
  });
}
