import { writeFileSync } from 'node:fs';
import t from 'tap';
import { StatusPayload } from '../../contracts/status.js';
import { readTcpMigrateReq } from '../../supervisor/tcp-migrate-req.js';
import { runCli } from '../helpers/cli.js';
import { waitEveryWorker } from '../helpers/every-worker.js';
import { freePort } from '../helpers/ports.js';
import { startPropane, WORKER_PID_HEADERS } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { tempFile, tempSocketPath } from '../helpers/temp.js';

// /status, the start log and `propane status` report the scheduling policy,
// the Node.js version and net.ipv4.tcp_migrate_req (docs/observability.md);
// a reload cannot change the policy and says so (docs/scheduling.md).

/** The sysctl as /status read it, unless another test changed it meanwhile (they hold the load lock to). */
async function migrateReqAround(read: () => Promise<StatusPayload>): Promise<{ before: 0 | 1 | null; after: 0 | 1 | null; status: StatusPayload }> {
  const before = readTcpMigrateReq();
  const status = await read();
  return { before, after: readTcpMigrateReq(), status };
}

t.test('under the default policy /status reports scheduling none, the Node.js version and the sysctl, and so does the start log', async (t) => {
  const node = await startPropane(t, { workers: 1 });
  const { before, after, status } = await migrateReqAround(() => node.status());
  t.equal(status.supervisor.scheduling_policy, 'none');
  t.equal(status.supervisor.node_version, process.version);
  if (before === after) t.equal(status.supervisor.tcp_migrate_req, before, `tcp_migrate_req ${String(before)}`);
  const started = node.logs.find((l) => l.event === 'supervisor_started')!;
  t.match(started, { node_version: process.version, scheduling_policy: 'none' });
  t.ok([0, 1, null].includes(started.tcp_migrate_req as never), `the start log has tcp_migrate_req: ${String(started.tcp_migrate_req)}`);
  t.equal(StatusPayload.safeParse(status).success, true, 'the payload matches its schema');
});

t.test('under reuse_port /status and propane status name the policy; a reload asking for another keeps it and says so', { skip: REUSE_PORT_SKIP }, async (t) => {
  const configFile = tempFile(t, 'propane.json', JSON.stringify({ propane: { schedulingPolicy: 'reuse_port', reloadOverlapSeconds: 0 } }));
  const node = await startPropane(t, { workers: 2, args: ['--config', configFile], env: WORKER_PID_HEADERS });
  const status = await node.status();
  t.match(status.supervisor, { scheduling_policy: 'reuse_port', node_version: process.version });
  t.match(node.logs.find((l) => l.event === 'supervisor_started'), { scheduling_policy: 'reuse_port', node_version: process.version });
  const table = await runCli(['status', '--status-socket', node.socket]);
  t.match(table.stdout, /  scheduling reuse_port$/m);
  t.match(table.stdout, new RegExp(`^runtime\\s+node ${process.version.replaceAll('.', '\\.')}\\s+tcp_migrate_req [01-]$`, 'm'));

  const from = node.logs.length;
  writeFileSync(configFile, JSON.stringify({ propane: { schedulingPolicy: 'round_robin', reloadOverlapSeconds: 0 } }));
  const reload = await runCli(['reload', '--json', '--status-socket', node.socket]);
  t.equal(JSON.parse(reload.stdout).outcome, 'completed', reload.stderr);
  t.match(node.logs.slice(from).find((l) => l.event === 'config_needs_restart'), { level: 40, keys: ['propane.schedulingPolicy'] }, 'a warning names the key the reload could not change');
  t.equal((await node.status()).supervisor.scheduling_policy, 'reuse_port', 'the policy is the one the node started with');
  t.equal((await waitEveryWorker(node, '/', (r) => r.status === 200)).size, 2, 'both new workers serve');
});

t.test('under reuse_port a port held by another listener fails the start with PROPANE_ERR_LISTEN before any worker is forked', { skip: REUSE_PORT_SKIP }, async (t) => {
  const { createServer } = await import('node:net');
  const port = await freePort();
  const holder = createServer().listen({ host: '127.0.0.1', port, reusePort: true } as never);
  t.teardown(() => holder.close());
  await new Promise((r) => holder.once('listening', r));
  const socket = tempSocketPath();
  // Held with SO_REUSEPORT by this very user: the supervisor's sockets could share it, and must not.
  const r = await runCli(['start', '--scheduling-policy', 'reuse_port', '--workers', '2', '--port', String(port), '--status-socket', socket], { timeoutMs: 20_000 });
  t.equal(r.code, 1);
  t.equal(r.stderr, `propane: PROPANE_ERR_LISTEN cannot listen on 127.0.0.1:${port}: EADDRINUSE. Fix: stop what holds the port, or choose another with --port.\n`);
  t.notOk(r.stdout.includes('"worker_forked"'), 'no worker was forked');
});
