import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';

// The operator's way out of a crash loop: fix the code, reload. The reload
// fills the empty slots at once instead of waiting out their backoff.

t.test('a reload after the broken app is fixed brings crash-looping slots back at once', async (t) => {
  const app = tempFile(t, 'app.cjs', `throw new Error('broken deploy');\n`);
  const node = await startPropane(t, {
    app,
    workers: 2,
    waitFor: 'nothing',
    config: { propane: { respawnDelayMs: 100, reloadOverlapSeconds: 0, crashLoop: { maxRestarts: 2, windowSeconds: 60, maxBackoffSeconds: 60 } } },
  });
  await node.waitForLog((l) => l.event === 'crash_loop' && l.slot === 0, 20_000);
  await node.waitForLog((l) => l.event === 'crash_loop' && l.slot === 1, 20_000);

  writeFileSync(app, `module.exports = (req, res) => res.end('fixed\\n');\n`);
  const res = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(res.code, 0, res.stderr);
  const status = await node.status();
  t.same(status.workers.map((w) => w.state), ['ready', 'ready'], 'both slots serve without waiting for their backoff');
  t.same(status.workers.map((w) => w.next_respawn_at), [null, null], 'no respawn is pending');
  t.equal((await httpGet(node.port, '/')).body, 'fixed\n');
});
