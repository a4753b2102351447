import { readFileSync } from 'node:fs';

const SYSCTL = '/proc/sys/net/ipv4/tcp_migrate_req';

/**
 * net.ipv4.tcp_migrate_req (Linux 5.14+): at 1, the connections queued on
 * a closing SO_REUSEPORT listener move to another listener of the port; at
 * 0 (the default) they are reset. Read afresh each time, since an operator
 * may change it while propane runs; null where it does not exist.
 */
export function readTcpMigrateReq(path = SYSCTL): 0 | 1 | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const value = text.trim();
  return value === '0' ? 0 : value === '1' ? 1 : null;
}
