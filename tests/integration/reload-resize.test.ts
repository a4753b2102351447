import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { waitGone } from '../helpers/processes.js';
import { startPropane } from '../helpers/propane.js';
import { tempFile } from '../helpers/temp.js';

// A reload applies the re-read config, `workers` included: slots are added or retired.

t.test('a reload that changes workers adds slots, retires surplus ones, and reloads every active slot afterwards', async (t) => {
  const config = (workers: number): string => JSON.stringify({ workers, propane: { reloadOverlapSeconds: 0 } });
  const configFile = tempFile(t, 'propane.json', config(2));
  const write = (workers: number): void => writeFileSync(configFile, config(workers));
  // No --workers flag: it would outrank the config file at every reload.
  const node = await startPropane(t, { args: ['--config', configFile] });
  await node.waitForStatus((s) => s.workers.filter((w) => w.state === 'ready').length === 2, 20_000);

  write(1);
  const down = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(down.code, 0, down.stderr);
  let status = await node.status();
  t.same(status.workers.map((w) => [w.slot, w.state]), [[0, 'ready']], 'the surplus slot drained and is gone once the reload completed');

  write(2);
  const up = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(up.code, 0, up.stderr);
  status = await node.status();
  t.same(status.workers.map((w) => w.state), ['ready', 'ready'], 'the new slot is ready when the reload completes');
  const before = status.workers.map((w) => w.pid!);

  const again = await runCli(['reload', '--status-socket', node.socket]);
  t.equal(again.code, 0, again.stderr);
  status = await node.status();
  t.equal(status.workers.length, 2);
  t.same(status.workers.filter((w) => before.includes(w.pid!)), [], 'both active slots were replaced, the added one too');
  t.same(await waitGone(before, 10_000), []);
});
