import { existsSync } from 'node:fs';
import t from 'tap';
import { supportsReusePort } from '../../shared/node-support.js';
import { runCli } from '../helpers/cli.js';
import { tempSocketPath } from '../helpers/temp.js';

// reuse_port binds with SO_REUSEPORT, which node:net does from 22.12 on; an
// older Node.js refuses it before anything starts (docs/runtimes.md). Only
// such a line (20 in the matrix) runs the refusals; the others run the last test.
const tooOld = !supportsReusePort(process.version);
const message = (source: string): string =>
  `propane: PROPANE_ERR_NODE_TOO_OLD propane.schedulingPolicy reuse_port (from ${source}) needs Node.js 22.12 or newer (SO_REUSEPORT listeners); this is Node.js ${process.version}. ` +
  `Fix: run propane on Node.js 22.12 or newer, or choose --scheduling-policy none or round_robin.\n`;

t.test('propane start --scheduling-policy reuse_port exits 2 with PROPANE_ERR_NODE_TOO_OLD naming 22.12, forks nothing, creates no status socket', { skip: tooOld ? false : `Node.js ${process.version} has SO_REUSEPORT listeners: the reuse_port tests run instead` }, async (t) => {
  const socket = tempSocketPath();
  const r = await runCli(['start', '--scheduling-policy', 'reuse_port', '--workers', '2', '--port', '0', '--status-socket', socket]);
  t.equal(r.code, 2);
  t.equal(r.stderr, message('--scheduling-policy'));
  t.equal(r.stdout, '', 'no log line: no supervisor_started, no worker_forked');
  t.notOk(existsSync(socket), 'no status socket');
});

t.test('the config key is refused on the same grounds by start and by propane config, --json too', { skip: tooOld ? false : `Node.js ${process.version} has SO_REUSEPORT listeners` }, async (t) => {
  const config = { propane: { schedulingPolicy: 'reuse_port' } };
  const start = await runCli(['start', '--port', '0', '--status-socket', tempSocketPath()], { config });
  t.equal(start.code, 2);
  t.match(start.stderr, /^propane: PROPANE_ERR_NODE_TOO_OLD propane\.schedulingPolicy reuse_port \(from config file .*propane\.json\) needs Node\.js 22\.12 or newer/);
  const r = await runCli(['config'], { config });
  t.equal(r.code, 2);
  t.match(r.stderr, /PROPANE_ERR_NODE_TOO_OLD propane\.schedulingPolicy reuse_port/);
  const j = await runCli(['config', '--json'], { config });
  t.equal(j.code, 2);
  t.match(JSON.parse(j.stdout), { ok: false, errors: [{ code: 'PROPANE_ERR_NODE_TOO_OLD' }] });
});

t.test('on a Node.js with SO_REUSEPORT listeners, propane config accepts reuse_port', { skip: tooOld ? `Node.js ${process.version} lacks them: the refusal is tested above` : process.platform !== 'linux' ? 'not Linux' : false }, async (t) => {
  const r = await runCli(['config', '--json', '--scheduling-policy', 'reuse_port']);
  t.equal(r.code, 0, r.stderr);
  t.equal((JSON.parse(r.stdout) as { propane: { schedulingPolicy: string } }).propane.schedulingPolicy, 'reuse_port');
});
