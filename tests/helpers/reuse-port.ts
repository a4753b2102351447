import { execFileSync } from 'node:child_process';
import { supportsReusePort } from '../../shared/node-support.js';
import { readTcpMigrateReq } from '../../supervisor/tcp-migrate-req.js';

/**
 * What the reuse_port tests need from the machine: Linux and Node.js 22.12+
 * (on Node 20 they skip, and reuse-port-node-too-old.test.ts runs instead),
 * and, for the tests that run at net.ipv4.tcp_migrate_req 0 and 1, the right
 * to set it (root) on a kernel that has it (5.14+).
 */
export const REUSE_PORT_SKIP: string | false =
  process.platform !== 'linux'
    ? `reuse_port needs Linux; this is ${process.platform}`
    : supportsReusePort(process.version)
      ? false
      : `Node.js ${process.version} has no SO_REUSEPORT listeners (reuse_port needs 22.12 or newer): reuse-port-node-too-old.test.ts covers this line`;

export type MigrateReq = 0 | 1;

function setTcpMigrateReq(value: MigrateReq): void {
  execFileSync('sysctl', ['-w', `net.ipv4.tcp_migrate_req=${value}`], { stdio: 'pipe', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
}

/** Why net.ipv4.tcp_migrate_req cannot be set here, or false when it can (writing its current value back changes nothing). */
export function tcpMigrateReqSkip(): string | false {
  if (REUSE_PORT_SKIP) return REUSE_PORT_SKIP;
  const now = readTcpMigrateReq();
  if (now === null) return 'SKIPPED LOUDLY: this kernel has no net.ipv4.tcp_migrate_req (Linux 5.14+)';
  try {
    setTcpMigrateReq(now);
    return false;
  } catch (err) {
    const why = `SKIPPED LOUDLY: cannot set net.ipv4.tcp_migrate_req (${(err as Error).message.split('\n')[0]}); run the tests as root to cover reuse_port at 0 and 1`;
    process.stderr.write(`${why}\n`);
    return why;
  }
}

/**
 * Runs `fn` with net.ipv4.tcp_migrate_req at `value`, and sets it back after.
 * It is machine-wide (per network namespace): call it inside withLoadLock, so
 * no other load test runs meanwhile.
 */
export async function withTcpMigrateReq<T>(value: MigrateReq, fn: () => Promise<T>): Promise<T> {
  const before = readTcpMigrateReq();
  setTcpMigrateReq(value);
  try {
    return await fn();
  } finally {
    if (before !== null) setTcpMigrateReq(before);
  }
}
