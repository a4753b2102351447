import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { StatusPayload, ReloadResponse } from '../../contracts/status.js';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile, tempSocketPath } from '../helpers/temp.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

t.test('--help and --version exit 0', async (t) => {
  const version = await runCli(['--version']);
  t.equal(version.code, 0);
  t.equal(version.stdout, `${VERSION}\n`);
  for (const args of [['--help'], ['start', '--help'], ['status', '--help'], ['reload', '--help'], ['stop', '--help'], ['config', '--help']]) {
    const r = await runCli(args);
    t.equal(r.code, 0, args.join(' '));
    t.match(r.stdout, /Usage: propane/);
  }
});

t.test('an unknown option, command or bad argument exits 2 with one line on stderr', async (t) => {
  for (const args of [['start', '--bogus'], ['frobnicate'], ['status', '--frob'], ['stop', '--timeout', '-1'], ['status', '--watch', 'often'], ['start', '--workers', 'abc', '--port', '0'], ['config', '--port'], ['reload', 'extra-arg']]) {
    const r = await runCli(args);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
    t.match(r.stderr, /^propane: PROPANE_ERR_(USAGE|CONFIG_TYPE) .*\S/);
  }
});

t.test('status, reload and stop exit 3 naming the socket when no supervisor answers', async (t) => {
  const missing = tempSocketPath();
  const notASocket = tempSocketPath();
  writeFileSync(notASocket, 'not a socket');
  t.teardown(() => rmSync(notASocket, { force: true }));
  for (const socket of [missing, notASocket]) {
    for (const cmd of ['status', 'reload', 'stop']) {
      const r = await runCli([cmd, '--status-socket', socket]);
      t.equal(r.code, 3, `${cmd} on ${socket}`);
      t.equal(r.stderr.split('\n').filter(Boolean).length, 1);
      t.match(r.stderr, `propane: PROPANE_ERR_STATUS_UNREACHABLE no supervisor answers on ${socket}`);
      const j = await runCli([cmd, '--json', '--status-socket', socket]);
      t.equal(j.code, 3);
      t.match(JSON.parse(j.stdout), { ok: false, errors: [{ code: 'PROPANE_ERR_STATUS_UNREACHABLE' }] });
    }
  }
});

t.test('start --json reports a configuration error as one JSON document on stdout', async (t) => {
  const r = await runCli(['start', '--json', '--port', '0', '--status-socket', tempSocketPath(), '--max-http-sessions', '0']);
  t.equal(r.code, 2);
  t.match(JSON.parse(r.stdout), { ok: false, errors: [{ code: 'PROPANE_ERR_CONFIG_OUT_OF_RANGE' }] });
});

t.test('against a running supervisor: status, status --json, --prometheus, reload --json and stop --json exit 0', async (t) => {
  const node = await startPropane(t, { workers: 1, args: ['--reload-overlap-seconds', '0'] });
  const sock = ['--status-socket', node.socket];

  const table = await runCli(['status', ...sock]);
  t.equal(table.code, 0);
  t.match(table.stdout, new RegExp(`pid ${node.pid} +running`));
  t.match(table.stdout, /SLOT +PID +STATE/);

  const json = await runCli(['status', '--json', ...sock]);
  t.equal(json.code, 0);
  const status = StatusPayload.parse(JSON.parse(json.stdout));
  t.equal(status.supervisor.pid, node.pid);

  const prom = await runCli(['status', '--prometheus', ...sock]);
  t.equal(prom.code, 0);
  t.match(prom.stdout, /^# HELP propane_/m);

  const reload = await runCli(['reload', '--json', ...sock]);
  t.equal(reload.code, 0, reload.stderr);
  t.equal(ReloadResponse.parse(JSON.parse(reload.stdout)).outcome, 'completed');

  const stop = await runCli(['stop', '--json', ...sock]);
  t.equal(stop.code, 0, stop.stderr);
  t.match(JSON.parse(stop.stdout), { ok: true, pid: node.pid });
  t.same(await node.exited, { code: 0, signal: null });
});

t.test('propane reload exits 1 with the reason when the reloaded config is invalid, and nothing changes', async (t) => {
  const file = tempFile(t, 'propane.json', JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: 100 } }));
  const node = await startPropane(t, { workers: 1, args: ['--config', file] });
  const before = await node.status();
  writeFileSync(file, JSON.stringify({ runtimeLimits: { maxConcurentHTTPSessions: 5 } }));
  const r = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^propane: PROPANE_ERR_RELOAD_REFUSED reload refused: invalid config, nothing changed: .*did you mean maxConcurrentHTTPSessions/);
  const after = await node.status();
  t.equal(after.workers[0]!.pid, before.workers[0]!.pid, 'the worker was not replaced');
  t.equal(after.totals.limits.http, 100);
  t.match(after.reload.last, { outcome: 'refused' });
});
