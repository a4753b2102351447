import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { requireTools } from '../helpers/debian-tools.js';
import { configOfStartArgs, stopBudgetSeconds } from '../helpers/deploy.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// deploy/systemd (docs/deploy.md, "systemd") checked by Debian's systemd-analyze,
// offline: no systemd runs as PID 1 here. The units are verified unchanged inside
// a temporary root that holds what they name (systemd's own units, /bin/kill, a
// stub /usr/local/bin/propane), so nothing of this machine leaks into the check.

const DIR = join(ROOT, 'deploy/systemd');
const UNITS = ['propane.service', 'propane.socket'];

function requireSystemdAnalyze(t: Parameters<typeof requireTools>[0]): boolean {
  return requireTools(t, [['systemd-analyze', 'systemd']], 'the systemd unit checks');
}

/** A root with systemd's unit directory, /bin/kill, a stub propane and `units` (name to text) in /etc/systemd/system. */
function unitRoot(t: Parameters<typeof tempDir>[0], units: Record<string, string>): { root: string; paths: string[] } {
  const root = tempDir(t);
  for (const d of ['usr/local/bin', 'bin', 'lib/systemd', 'etc/systemd/system']) mkdirSync(join(root, d), { recursive: true });
  cpSync('/lib/systemd/system', join(root, 'lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  copyFileSync('/bin/kill', join(root, 'bin/kill'));
  writeFileSync(join(root, 'usr/local/bin/propane'), '#!/bin/sh\n');
  chmodSync(join(root, 'usr/local/bin/propane'), 0o755);
  const paths = Object.entries(units).map(([name, text]) => {
    const path = join(root, 'etc/systemd/system', name);
    writeFileSync(path, text);
    return path;
  });
  return { root, paths };
}

function verify(root: string, paths: string[]): { code: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...paths], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const shipped = Object.fromEntries(UNITS.map((u) => [u, readFileSync(join(DIR, u), 'utf8')]));

t.test('systemd-analyze verify accepts the shipped units: exit 0 and not one warning', async (t) => {
  if (!requireSystemdAnalyze(t)) return;
  const { root, paths } = unitRoot(t, shipped);
  const r = verify(root, paths);
  t.equal(r.code, 0);
  t.equal(r.output, '', 'no output at all: systemd-analyze only warns about typos');
});

t.test('the check catches what it must: a typo warns, a missing ExecStart binary fails', async (t) => {
  if (!requireSystemdAnalyze(t)) return;
  const typo = unitRoot(t, { ...shipped, 'propane.service': shipped['propane.service']!.replace(/^KillMode=mixed$/m, 'KillMode=mixd') });
  t.match(verify(typo.root, typo.paths).output, /Failed to parse kill mode specification, ignoring: mixd/);
  const missing = unitRoot(t, { ...shipped, 'propane.service': shipped['propane.service']!.replaceAll('/usr/local/bin/propane', '/opt/nowhere/propane') });
  const r = verify(missing.root, missing.paths);
  t.not(r.code, 0);
  t.match(r.output, /\/opt\/nowhere\/propane/);
});

/** The lines `key=value` of one section (`[Unit]`, `[Service]`, `[Socket]`), in order. */
function sectionLines(text: string, section: string): Array<[string, string]> {
  const start = text.indexOf(`[${section}]`);
  const end = text.indexOf('\n[', start + 1);
  const body = text.slice(start, end < 0 ? undefined : end);
  return body.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

/** The [Service] section's keys; a repeated key keeps its last value. */
function serviceKeys(text: string): Map<string, string> {
  return new Map(sectionLines(text, 'Service'));
}

t.test('the service is what propane needs: notify, reload by SIGHUP, mixed kill, a stop timeout that fits the drain', async (t) => {
  const keys = serviceKeys(shipped['propane.service']!);
  t.equal(keys.get('Type'), 'notify');
  t.equal(keys.get('NotifyAccess'), 'all', 'systemd-notify sends from its own pid');
  t.equal(keys.get('ExecReload'), '/bin/kill -HUP $MAINPID');
  t.equal(keys.get('KillMode'), 'mixed');
  t.equal(keys.get('KillSignal'), 'SIGTERM');
  t.equal(keys.get('WatchdogSec'), '10');
  t.equal(keys.get('RuntimeDirectory'), 'propane');
  const args = keys.get('ExecStart')!.split(' ');
  t.equal(args[0], '/usr/local/bin/propane');
  t.equal(args[1], 'start');
  const config = await configOfStartArgs(args.slice(2));
  t.equal(config.status.socket, '/run/propane/propane.sock', 'the status socket is in RuntimeDirectory');
  const grace = config.propane.gracefulShutdownSeconds;
  t.equal(grace, 10);
  t.equal(Number(keys.get('TimeoutStopSec')), stopBudgetSeconds(grace) + 3, 'TimeoutStopSec = the longest graceful stop + 3 s of slack, as its comment says');
  t.ok(Number(keys.get('TimeoutStartSec')) > config.propane.readyTimeoutSeconds, 'a start may take a worker readyTimeoutSeconds to be ready');
  for (const [key, value] of Object.entries({ DynamicUser: 'yes', NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes', CapabilityBoundingSet: '', UMask: '0077' })) {
    t.equal(keys.get(key), value, `${key}=${value}`);
  }
  t.notOk(keys.has('MemoryDenyWriteExecute'), "V8's JIT needs W+X memory");
  t.match(keys.get('RestrictAddressFamilies'), /AF_NETLINK/, 'os.networkInterfaces() needs AF_NETLINK');
});

t.test('the service takes its listening socket from propane.socket: one TCP socket, Accept=no, and no host or port of its own to contradict it', async (t) => {
  const unit = new Map(sectionLines(shipped['propane.service']!, 'Unit'));
  t.equal(unit.get('Requires'), 'propane.socket');
  t.match(unit.get('After'), /(^| )propane\.socket( |$)/, 'ordered after the socket');
  const socket = sectionLines(shipped['propane.socket']!, 'Socket');
  t.same(socket.filter(([k]) => k.startsWith('Listen')), [['ListenStream', '127.0.0.1:3000']], 'one ListenStream= (propane refuses LISTEN_FDS=2), no ListenDatagram=');
  t.equal(new Map(socket).get('Accept'), 'no', 'propane accepts on the socket itself');
  const args = serviceKeys(shipped['propane.service']!).get('ExecStart')!.split(' ');
  t.notOk(args.includes('--host') || args.includes('--port'), 'ExecStart names no --host or --port: the socket decides');
});
