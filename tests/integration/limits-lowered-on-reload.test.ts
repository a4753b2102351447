import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import t from 'tap';
import { callStatusSocket } from '../../supervisor/status-client.js';
import { fixtureApp } from '../helpers/paths.js';
import { startPropane } from '../helpers/propane.js';
import { closeAll, openSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A reload that lowers the HTTP session limit (docs/session-limits.md): from
 * the moment it is applied, the old worker, still serving while its
 * replacement is not ready, admits no session over the new limit, though it
 * held a lease far larger than it.
 */
t.test('a lowered limit holds at once on the worker still serving during the reload', async (t) => {
  const dir = tempDir(t);
  const gate = join(dir, 'ready');
  const configFile = join(dir, 'propane.json');
  const config = (limit: number): string => JSON.stringify({ runtimeLimits: { maxConcurrentHTTPSessions: limit }, propane: { reloadOverlapSeconds: 0 } });
  writeFileSync(gate, '');
  writeFileSync(configFile, config(256));
  const node = await startPropane(t, { app: fixtureApp('awaits-ready-and-close.cjs'), workers: 1, args: ['--config', configFile], env: { READY_GATE_FILE: gate } });
  const held: Socket[] = [];
  t.teardown(() => closeAll(held));
  const first = await openSession(node.port);
  held.push(first.socket);
  t.equal(first.status, 200, 'one session held: the worker holds a lease of many permits');
  t.ok((await node.status()).totals.leased.http > 4);

  // The replacement will wait at ready() until the gate is back, so the old worker keeps serving.
  rmSync(gate);
  writeFileSync(configFile, config(4));
  const reload = callStatusSocket(node.socket, 'POST', '/reload', 60_000);
  const during = await node.waitForStatus((s) => s.reload.in_progress && s.totals.limits.http === 4 && s.workers.length === 2);
  t.equal(during.workers.filter((w) => w.state === 'ready').length, 1, 'the old worker alone serves');

  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const s = await openSession(node.port);
    held.push(s.socket);
    statuses.push(s.status);
  }
  t.same(statuses.filter((s) => s === 200).length, 3, 'three more sessions reach the new limit of 4 with the one held');
  t.same(statuses.filter((s) => s === 503).length, 5, 'the rest are refused');

  writeFileSync(gate, '');
  t.equal((await reload).status, 200, 'the reload completes once the replacement is ready');
});
