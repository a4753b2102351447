import { existsSync } from 'node:fs';
import t from 'tap';
import { supportsTypeStripping } from '../../shared/node-support.js';
import { runCli } from '../helpers/cli.js';
import { fixtureApp } from '../helpers/paths.js';
import { tempSocketPath } from '../helpers/temp.js';

// On a Node.js without built-in type stripping (older than 22.18) a TypeScript app is refused
// before anything is forked; on newer lines the same config is valid (docs/runtimes.md).
const strips = supportsTypeStripping(process.version);
const tooOld = (app: string, source: string): string =>
  `propane: PROPANE_ERR_NODE_TOO_OLD the TypeScript app ${app} (from ${source}) needs Node.js 22.18 or newer (built-in TypeScript type stripping); this is Node.js ${process.version}. ` +
  `Fix: run propane on Node.js 22.18 or newer, or compile the app to JavaScript and start the .js file.\n`;

t.test('propane start app.ts exits 2 with PROPANE_ERR_NODE_TOO_OLD, forks nothing and creates no status socket', { skip: strips ? `Node.js ${process.version} strips types: app-typescript.test.ts runs the app` : false }, async (t) => {
  for (const fixture of ['typed-request-listener.ts', 'typed-object.mts', 'typed-commonjs.cts']) {
    const app = fixtureApp(fixture);
    const socket = tempSocketPath();
    const r = await runCli(['start', app, '--workers', '2', '--port', '0', '--status-socket', socket]);
    t.equal(r.code, 2, fixture);
    t.equal(r.stderr, tooOld(app, 'the app argument'));
    t.equal(r.stdout, '', 'no log line: no supervisor_started, no worker_forked');
    t.notOk(existsSync(socket), 'no status socket');
  }
});

t.test('propane config refuses a TypeScript app from the config file on the same grounds, --json too', { skip: strips ? `Node.js ${process.version} strips types` : false }, async (t) => {
  const app = fixtureApp('typed-request-listener.ts');
  const r = await runCli(['config'], { config: { app } });
  t.equal(r.code, 2);
  t.match(r.stderr, /^propane: PROPANE_ERR_NODE_TOO_OLD the TypeScript app .*typed-request-listener\.ts \(from config file .*propane\.json\) needs Node\.js 22\.18 or newer/);
  const j = await runCli(['config', '--json'], { config: { app } });
  t.equal(j.code, 2);
  t.match(JSON.parse(j.stdout), { ok: false, errors: [{ code: 'PROPANE_ERR_NODE_TOO_OLD' }] });
});

t.test('on a Node.js with type stripping, propane config accepts the TypeScript app', { skip: strips ? false : `Node.js ${process.version} has no type stripping: the refusal is tested above` }, async (t) => {
  const app = fixtureApp('typed-commonjs.cts');
  const r = await runCli(['config', '--json'], { config: { app } });
  t.equal(r.code, 0, r.stderr);
  t.equal((JSON.parse(r.stdout) as { app: string }).app, app);
});
