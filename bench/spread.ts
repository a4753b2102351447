/**
 * How evenly a burst of new connections lands on the workers
 * (connection-spread.ts, docs/scheduling.md). Pure: the worker pid that
 * answered each connection in, counts out.
 */

/**
 * Connections per worker in one round, most first; workers that answered
 * none count as 0, so 50 connections on 2 workers all answered by one read
 * [50, 0]. `pids` holds one worker pid per connection.
 */
export function perWorker(pids: readonly number[], workers: number): number[] {
  const counts = new Map<number, number>();
  for (const pid of pids) counts.set(pid, (counts.get(pid) ?? 0) + 1);
  if (counts.size > workers) throw new Error(`${counts.size} distinct worker pids answered, but there are ${workers} workers`);
  const sorted = [...counts.values()].sort((a, b) => b - a);
  return [...sorted, ...Array<number>(workers - sorted.length).fill(0)];
}

export interface SpreadSummary {
  /** The fewest connections any worker got in any round. */
  min: number;
  /** The most connections any worker got in any round. */
  max: number;
  /** Each round as "27/23", most first. */
  rounds: string[];
}

/** Over rounds of perWorker counts: the extremes, and every round as written in bench/RESULTS.md. */
export function summarizeSpread(rounds: ReadonlyArray<readonly number[]>): SpreadSummary {
  if (rounds.length === 0) throw new Error('no rounds to summarize');
  const all = rounds.flat();
  return { min: Math.min(...all), max: Math.max(...all), rounds: rounds.map((r) => r.join('/')) };
}
