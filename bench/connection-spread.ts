import { withLoadLock } from '../tests/helpers/load-lock.js';
import { WORKER_PID_HEADERS } from '../tests/helpers/propane.js';
import { closeAll, openSession } from '../tests/helpers/sessions.js';
import { sleep } from '../tests/helpers/wait.js';
import { benchArgs } from './args.js';
import { nodeVersionOf, parsePolicies, startBaseline, startPropane, type Policy, type Running } from './servers.js';
import { perWorker, summarizeSpread } from './spread.js';

/**
 * How a burst of new connections spreads over the workers under each
 * scheduling policy (docs/scheduling.md): `connections` keep-alive
 * connections opened at once, one GET each, counted by the
 * X-Arlen-Worker-Pid of the answer; propane with its cluster headers on,
 * plain node:cluster writing the same header. The two alternate, round
 * after round, after one round each that is not recorded. Counts, not
 * timings; it takes the load lock itself.
 *
 *   node dist/bench/connection-spread.js [--node /path/to/node] [--rounds 10] [--connections 50] [--workers 2] [--policies none,round_robin,reuse_port]
 */
const args = benchArgs({ node: process.execPath, rounds: 10, connections: 50, workers: 2, policies: 'none,round_robin' });
const policies = parsePolicies(args.policies, args.node);

/** One burst: every connection opened in the same tick, then all closed. */
async function burst(server: Running): Promise<number[]> {
  const sessions = await Promise.all(Array.from({ length: args.connections }, () => openSession(server.port)));
  closeAll(sessions.map((s) => s.socket));
  const failed = sessions.filter((s) => s.status !== 200 || !Number.isInteger(s.pid));
  if (failed.length > 0) throw new Error(`${server.name}: ${failed.length} of ${args.connections} answers were not a 200 with X-Arlen-Worker-Pid`);
  // Let the workers see the closes and go idle, so every burst meets idle workers as the first does.
  await sleep(200);
  return perWorker(
    sessions.map((s) => s.pid),
    args.workers,
  );
}

interface Row {
  policy: Policy;
  server: string;
  rounds: number[][];
}

async function main(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const policy of policies) {
    const servers: Running[] = [];
    try {
      servers.push(await startPropane(args.workers, policy, [], { node: args.node, env: WORKER_PID_HEADERS }));
      servers.push(await startBaseline(args.workers, policy, { node: args.node, workerPidHeader: true }));
      for (const s of servers) await burst(s);
      const counts = servers.map(() => [] as number[][]);
      for (let round = 0; round < args.rounds; round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) counts[i]!.push(await burst(servers[i]!));
      }
      (['propane', 'node:cluster'] as const).forEach((server, i) => rows.push({ policy, server, rounds: counts[i]! }));
    } finally {
      for (const s of servers) await s.stop();
    }
  }
  return rows;
}

const rows = await withLoadLock(main);
const lines = [
  `Node ${nodeVersionOf(args.node)}; ${args.connections} connections opened at once on ${args.workers} workers, ${args.rounds} rounds`,
  '',
  '| policy | server | fewest / most per worker | every round |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => {
    const s = summarizeSpread(r.rounds);
    return `| ${r.policy} | ${r.server} | ${s.min} / ${s.max} | ${s.rounds.join(', ')} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
