import { httpGet, type HttpReply } from './http.js';
import type { PropaneNode } from './propane.js';
import { sleep } from './wait.js';

/**
 * Polls `path` on fresh connections until every ready worker of `node` has
 * answered with a reply that satisfies `pred` (the kernel picks the worker,
 * so it asks until each pid was heard from). Resolves with the replies by
 * pid; rejects with the last ones after timeoutMs.
 */
export async function waitEveryWorker(node: PropaneNode, path: string, pred: (reply: HttpReply) => boolean, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<Map<number, HttpReply>> {
  const deadline = Date.now() + timeoutMs;
  const latest = new Map<number, HttpReply>();
  let pids: number[] = [];
  while (Date.now() < deadline) {
    pids = await node.readyWorkerPids().catch(() => pids);
    for (let i = 0; i < 4; i++) {
      try {
        const reply = await httpGet(node.port, path, { headers, timeoutMs: 2_000 });
        latest.set(Number(reply.headers['x-arlen-worker-pid']), reply);
      } catch {
        // A worker restarting or a connection refused: ask again.
      }
    }
    if (pids.length > 0 && pids.every((pid) => latest.has(pid) && pred(latest.get(pid)!))) return latest;
    await sleep(20);
  }
  const seen = [...latest].map(([pid, r]) => `${pid}: ${r.status} ${r.body.slice(0, 300)}`).join('\n');
  throw new Error(`not every worker of ${node.pid} (${pids.join(', ')}) answered ${path} as expected within ${timeoutMs} ms; last:\n${seen}`);
}

export function clusterzOf(reply: HttpReply): ClusterzLike {
  return JSON.parse(reply.body) as ClusterzLike;
}

export interface ClusterzLike {
  generation: number;
  cluster: { observed_nodes: number; expected_nodes: number; quorum: { status: string; met: boolean }; members?: Array<{ node_id: string; host: string; port: number; ready: boolean }> };
  coordination: { membership_source: string; state: string; store?: { state: string; endpoints: string[]; lease_seconds: number; last_change_at: string | null } };
}

/** True for a reply with this status code. */
export function answers(status: number): (reply: { status: number }) => boolean {
  return (reply) => reply.status === status;
}

/** True when /clusterz says the store is `state` and counts `observed` nodes. */
export function clusterzSays(state: 'connected' | 'unavailable', observed: number): (reply: HttpReply) => boolean {
  return (reply) => {
    if (reply.status !== 200) return false;
    const c = clusterzOf(reply);
    return c.coordination.store?.state === state && c.cluster.observed_nodes === observed;
  };
}
