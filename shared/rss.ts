/**
 * This process's resident set size, or null. At the fd limit reading it
 * throws EMFILE; a worker's heartbeat answer and the supervisor's /status
 * must survive that rather than fail.
 */
export function readRss(): number | null {
  try {
    return process.memoryUsage.rss();
  } catch {
    return null;
  }
}
