import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { supportsTypeStripping } from '../../shared/node-support.js';
import { runCli } from '../helpers/cli.js';
import { waitEveryWorker } from '../helpers/every-worker.js';
import { httpGet } from '../helpers/http.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { tempDir, tempFile } from '../helpers/temp.js';

// TypeScript apps load through Node's own type stripping, in every worker, with no loader
// (docs/runtimes.md). Lines without it refuse them at start: app-typescript-node-too-old.test.ts.
const skip = supportsTypeStripping(process.version) ? false : `Node.js ${process.version} has no built-in type stripping (22.18 or newer has)`;

for (const c of [
  { fixture: 'typed-request-listener.ts', path: '/hello?x=1', body: 'typed listener ts esm GET /hello?x=1\n', rule: 'ESM under the package\'s "type": "module"' },
  { fixture: 'typed-object.mts', path: '/', body: 'typed object mts esm ready=true\n', rule: 'ESM always' },
  { fixture: 'typed-commonjs.cts', path: '/', body: 'typed commonjs cts commonjs\n', rule: 'CommonJS always' },
]) {
  t.test(`a ${c.fixture.split('.').pop()!} app serves from every worker (${c.rule})`, { skip }, async (t) => {
    const node = await startPropane(t, { app: fixtureApp(c.fixture), workers: 2, env: WORKER_PID_HEADERS });
    const replies = await waitEveryWorker(node, c.path, (r) => r.status === 200);
    t.equal(replies.size, 2, 'both workers answered');
    for (const [pid, reply] of replies) t.equal(reply.body, c.body, `worker ${pid}`);
    t.equal((await httpGet(node.port, '/healthz')).body, 'ok\n', 'built-ins still answer before the app');
    t.same(node.nonJson, [], 'no warning or other line besides the JSON logs on stdout');
    t.equal(node.stderr, '', 'nothing on stderr: no ExperimentalWarning, no loader');
  });
}

t.test('a reload picks up an edited .ts file (ESM by its syntax, with no package.json around it)', { skip }, async (t) => {
  const version = (n: number): string =>
    `import type { IncomingMessage, ServerResponse } from 'node:http';\nconst n: number = ${n};\nexport default (req: IncomingMessage, res: ServerResponse): void => void res.end(\`version \${n}\\n\`);\n`;
  const app = tempFile(t, 'app.ts', version(1));
  const node = await startPropane(t, { app, workers: 1, args: ['--reload-overlap-seconds', '0'] });
  t.equal((await httpGet(node.port, '/')).body, 'version 1\n');

  writeFileSync(app, version(2));
  const reload = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(reload.code, 0, reload.stderr);
  t.equal((await httpGet(node.port, '/')).body, 'version 2\n');
});

t.test('an app using an enum is a boot failure whose message names the syntax and the fix', { skip }, async (t) => {
  const app = fixtureApp('uses-enum.ts');
  const node = await startPropane(t, { app, workers: 1, waitFor: 'nothing', args: ['--respawn-delay-ms', '60000'] });
  const explained = new RegExp(
    `^${escape(app)} \\(or a module it imports\\) uses TypeScript that Node's type stripping cannot erase \\(ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX: TypeScript enum is not supported in strip-only mode\\)\\. ` +
      `Fix: use erasable syntax only \\(no enum, no namespace with values, no parameter properties; tsc's erasableSyntaxOnly checks it\\), or compile the app to JavaScript and start the \\.js file\\.$`,
  );
  const fromWorker = await node.waitForLog((l) => l.event === 'worker_boot_failed' && l.role === 'worker');
  t.match(fromWorker, { phase: 'load', error_code: 'PROPANE_ERR_APP_LOAD', slot: 0, err: { code: 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' } });
  t.match((fromWorker.err as { message: string }).message, explained);
  const status = await node.waitForStatus((s) => s.workers[0]?.last_exit !== null);
  t.match(status.workers[0], { slot: 0, pid: null, state: 'exited', last_exit: { code: 1, signal: null, cause: 'boot_failure' } });
  t.match(status.workers[0]!.last_exit!.error!.replace(/^load: /, ''), explained, 'last_exit.error is "load: " and the explanation');
  t.equal(status.supervisor.state, 'running', 'the supervisor keeps running and answering');
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});

t.test('a .ts app that cannot be read is a boot failure naming the file, as for .js', { skip }, async (t) => {
  const app = join(tempDir(t), 'missing.ts');
  const node = await startPropane(t, { app, workers: 1, waitFor: 'nothing', args: ['--respawn-delay-ms', '60000'] });
  const status = await node.waitForStatus((s) => s.workers[0]?.last_exit !== null);
  t.match(status.workers[0], { state: 'exited', last_exit: { code: 1, cause: 'boot_failure' } });
  t.match(status.workers[0]!.last_exit!.error, `load: Cannot find module '${app}'`);
  const stopped = await node.stop();
  t.equal(stopped.code, 0);
  t.same(stopped.leftovers, []);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
