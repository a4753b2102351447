import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { parseExposition, valueOf } from '../helpers/prometheus.js';
import { startPropane } from '../helpers/propane.js';
import { tempDir, tempSocketPath } from '../helpers/temp.js';
import { sleep, within } from '../helpers/wait.js';

const CLEAR = '\x1b[H\x1b[2J';

t.test('propane status prints a table, --json and --prometheus, and --watch redraws in place', async (t) => {
  const node = await startPropane(t, { workers: 2, config: { runtimeLimits: { maxConcurrentHTTPSessions: 8 }, propane: { reloadOverlapSeconds: 0 } } });
  // Lag and RSS arrive with the first heartbeat answer.
  const status = await node.waitForStatus((s) => s.workers.every((w) => w.rss_bytes !== null));
  const pids = status.workers.map((w) => w.pid!);

  const table = await runCli(['status', '--status-socket', node.socket]);
  t.equal(table.code, 0, table.stderr);
  t.match(table.stdout, new RegExp(`pid ${node.pid}\\s+running`), 'the header names the supervisor pid and state');
  t.match(table.stdout, /^SLOT\s+PID\s+STATE\s+RESTARTS\s+HTTP\s+WS\s+LAG\s+RSS\s+LAST EXIT$/m, 'the worker table has its columns');
  for (const [slot, pid] of pids.entries()) t.match(table.stdout, new RegExp(`^${slot}\\s+${pid}\\s+ready\\s+0\\s+\\d+\\s+\\d+\\s+[\\d.]+ms\\s+[\\d.]+M\\s+-$`, 'm'), `slot ${slot} shows pid ${pid}, ready, lag and RSS`);
  t.match(table.stdout, /^sessions\s+http \d+\/8\s+websocket \d+\/256\s+rejected http 0\s+websocket 0/m, 'node totals against the limits');
  t.match(table.stdout, /^ledger\s+leased http \d+\s+websocket \d+\s+hung kills 0$/m, 'the permits leased to workers and hung kills');
  t.match(table.stdout, /^cluster\s+default .*quorum single_node \(met\)\s+observed 1\/1/m, 'the quorum');
  t.match(table.stdout, new RegExp(`^runtime\\s+node ${process.version.replaceAll('.', '\\.')}\\s+tcp_migrate_req [01-]$`, 'm'), 'the Node.js version and net.ipv4.tcp_migrate_req');
  t.match(table.stdout, /^reload\s+none yet$/m, 'no reload yet');

  const json = await runCli(['status', '--json', '--status-socket', node.socket]);
  t.equal(json.code, 0);
  const parsed = StatusPayload.parse(JSON.parse(json.stdout));
  t.same(parsed.workers.map((w) => w.pid), pids, '--json is the /status payload');

  const prom = await runCli(['status', '--prometheus', '--status-socket', node.socket]);
  t.equal(prom.code, 0);
  t.equal(valueOf(parseExposition(prom.stdout), 'propane_workers', { state: 'ready' }), 2, '--prometheus is the /metrics text');

  t.equal((await runCli(['reload', '--status-socket', node.socket])).code, 0);
  const afterReload = await runCli(['status', '--status-socket', node.socket]);
  t.match(afterReload.stdout, /^reload\s+completed at \S+$/m, 'the last reload and its outcome');

  const watcher = spawnCli(['status', '--watch', '1', '--status-socket', node.socket], { cwd: tempDir(t) });
  t.teardown(() => watcher.kill('SIGKILL'));
  const exited = new Promise((r) => watcher.once('exit', r));
  let out = '';
  watcher.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  await sleep(2_500);
  watcher.kill('SIGTERM');
  await within(exited, 5_000);
  const frames = out.split(CLEAR).filter((f) => f.length > 0);
  t.ok(frames.length >= 2, `at least two frames in 2.5 s with --watch 1 (saw ${frames.length})`);
  t.ok(out.startsWith(CLEAR), 'each frame starts by moving home and clearing, so it redraws in place');
  for (const f of frames) t.match(f, /^SLOT\s+PID/m, 'every frame is a full table');
});

t.test('propane status exits 3 naming the socket path when no supervisor answers', async (t) => {
  const socket = tempSocketPath();
  for (const args of [[], ['--json'], ['--prometheus'], ['--watch', '1']]) {
    const r = await runCli(['status', ...args, '--status-socket', socket]);
    t.equal(r.code, 3, `status ${args.join(' ')} exits 3`);
    t.match(r.stderr, `propane: PROPANE_ERR_STATUS_UNREACHABLE no supervisor answers on ${socket}`, 'the message names the socket path');
  }
});
