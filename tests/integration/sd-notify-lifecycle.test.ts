import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startNotifyReceiver } from '../helpers/notify-receiver.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';
import { sleep } from '../helpers/wait.js';

// systemd's Type=notify protocol as docs/deploy.md describes it, received on a
// real unix datagram socket through Debian's systemd-notify. Repeated STATUS=
// lines, watchdog pings and systemd-notify's BARRIER=1 are left out of the
// sequences (receiver.stateMessages) and checked on their own.

/** Answers with the service manager variables its worker sees: none must reach a worker. */
const V1 = `module.exports = (req, res) => res.end(JSON.stringify(['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'].map((k) => process.env[k] ?? null)));\n`;
const WATCHDOG_USEC = '400000';

t.test('start, reload, aborted reload and stop send exactly READY, RELOADING/READY twice and STOPPING, with MAINPID and watchdog pings', async (t) => {
  const receiver = await startNotifyReceiver(t);
  const app = tempFile(t, 'app.cjs', V1);
  const configFile = tempFile(t, 'propane.json', JSON.stringify({ propane: { reloadOverlapSeconds: 0, gracefulShutdownSeconds: 2 } }));
  const node = await startPropane(t, { app, workers: 2, args: ['--config', configFile], env: { NOTIFY_SOCKET: receiver.socket, WATCHDOG_USEC } });
  await receiver.waitFor(() => receiver.stateMessages.length >= 2);
  t.same(receiver.stateMessages, [[`MAINPID=${node.pid}`], ['READY=1']], 'start: MAINPID, then READY=1 once a worker serves');
  t.match(receiver.statusWith('READY=1'), /^running: [12]\/2 workers ready, sessions http 0\/256 websocket 0\/256, quorum single_node$/);
  t.match(receiver.statusWith(`MAINPID=${node.pid}`), /^running: 0\/2 workers ready, /, 'not READY=1 at supervisor start: no worker was ready yet');
  t.equal((await httpGet(node.port, '/')).body, '[null,null,null]', 'workers see no NOTIFY_SOCKET, WATCHDOG_USEC or WATCHDOG_PID');
  t.equal(node.logs.filter((l) => l.event === 'sd_notify_enabled').length, 1);
  t.match(node.logs.find((l) => l.event === 'sd_notify_enabled'), { socket: receiver.socket, watchdog_interval_ms: 200 });

  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  await receiver.waitFor(() => receiver.stateMessages.length >= 4);
  const [reloading, monotonic] = receiver.stateMessages[2]!;
  t.equal(reloading, 'RELOADING=1');
  t.match(monotonic, /^MONOTONIC_USEC=\d+$/);
  const sent = Number(monotonic!.slice('MONOTONIC_USEC='.length));
  const received = receiver.datagrams.find((d) => d.payload.startsWith('RELOADING=1'))!.monotonic_usec;
  t.ok(sent <= received && sent > received - 60_000_000, `MONOTONIC_USEC (${sent}) is CLOCK_MONOTONIC, just before the receiver's ${received}`);
  t.same(receiver.stateMessages[3], ['READY=1'], 'READY=1 when the reload ends');
  t.match(receiver.statusWith('READY=1', receiver.messages.findIndex((f) => f.includes('RELOADING=1'))), /^running: 2\/2 workers ready, .*, last reload completed$/);

  // A replacement that throws at load, with a newline in its error: the reload aborts, and the newline injects nothing.
  writeFileSync(app, `throw new Error('broken deploy\\nREADY=1\\nSTOPPING=1');\n`);
  const from = receiver.messages.length;
  const aborted = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(aborted.code, 1, 'the reload aborted');
  await receiver.waitFor(() => receiver.stateMessages.length >= 6);
  t.same(receiver.stateMessages.slice(4), [['RELOADING=1', receiver.stateMessages[4]![1]], ['READY=1']], 'an aborted reload ends with READY=1 too');
  t.match(receiver.statusWith('READY=1', from), /^running: 2\/2 workers ready, .*, last reload aborted: slot 0: replacement pid \d+ load failed: broken deploy READY=1 STOPPING=1$/, 'the outcome is in STATUS=, on one line');
  t.ok(receiver.pings >= 2, `${receiver.pings} watchdog pings while the supervisor ran`);

  const { code } = await node.stop();
  t.equal(code, 0);
  // Sent before the supervisor exited; the receiver's report of it may still be on its way to this process.
  await receiver.waitFor(() => receiver.stateMessages.length >= 7);
  t.same(receiver.stateMessages.slice(6), [['STOPPING=1']], 'a graceful stop sends STOPPING=1, and the node sends nothing but status after it');
  t.match(receiver.statusWith('STOPPING=1'), /^draining: /);
  t.ok(receiver.messages.every((f) => f.every((x) => /^(MAINPID|READY|RELOADING|MONOTONIC_USEC|STOPPING|STATUS|WATCHDOG)=/.test(x))), 'every field is one the protocol knows');
});

t.test('a node whose only slot crash-loops keeps pinging the watchdog and never says READY=1', async (t) => {
  const receiver = await startNotifyReceiver(t);
  const node = await startPropane(t, {
    app: fixtureApp('throws-at-load.cjs'),
    workers: 1,
    waitFor: 'nothing',
    env: { NOTIFY_SOCKET: receiver.socket, WATCHDOG_USEC },
    config: { propane: { respawnDelayMs: 100, crashLoop: { maxRestarts: 2, windowSeconds: 30, maxBackoffSeconds: 2 } } },
  });
  await node.waitForEvent('crash_loop', 20_000);
  const before = receiver.pings;
  await receiver.waitFor(() => receiver.pings >= before + 2, 10_000);
  t.pass('the watchdog pings go on while the slot crash-loops');
  t.same(receiver.stateMessages, [[`MAINPID=${node.pid}`]], 'no READY=1: no worker ever served');
  await receiver.waitFor(() => receiver.messages.some((f) => f.some((x) => /^STATUS=running: 0\/1 workers ready \(1 crash-looping\)/.test(x))));
  t.pass('STATUS= shows the crash loop');
  await node.stop();
  await receiver.waitFor(() => receiver.stateMessages.length >= 2);
  t.same(receiver.stateMessages, [[`MAINPID=${node.pid}`], ['STOPPING=1']]);
});

t.test('without NOTIFY_SOCKET nothing is sent and nothing is logged, WATCHDOG_USEC or not', async (t) => {
  const receiver = await startNotifyReceiver(t);
  const node = await startPropane(t, { workers: 1, env: { WATCHDOG_USEC, WATCHDOG_PID: '1' } });
  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  // At WATCHDOG_USEC=400000 a notifier would have pinged about five times by now.
  await sleep(1_000);
  t.equal((await node.stop()).code, 0);
  t.same(receiver.datagrams, [], 'the socket received nothing');
  t.same(node.logs.filter((l) => typeof l.event === 'string' && l.event.startsWith('sd_')), [], 'no sd_* log line');
});
