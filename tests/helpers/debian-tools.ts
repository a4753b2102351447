import { spawnSync } from 'node:child_process';

/**
 * Outside binaries a test runs, from Debian's packages (tests/helpers/install-tools.sh
 * installs them): where one is, and a loud skip, or a failure on CI, when it is missing.
 */

/** What requireTools needs of a tap test: plan(0) skips it, fail() fails it on CI. */
export interface SkippableTest {
  plan(n: number, comment?: string): void;
  fail(msg: string): unknown;
}

/** A SkippableTest that also cleans up what its helper starts or makes. */
export interface ToolTest extends SkippableTest {
  teardown(fn: () => unknown): void;
}

/** The binary's path on PATH, or null. */
export function which(binary: string): string | null {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * True when every `[binary, package]` is installed. Otherwise the test is
 * skipped with a loud message naming the packages, or fails when CI is
 * "true": CI must run every test. `what` names the tests that need them.
 */
export function requireTools(t: SkippableTest, tools: ReadonlyArray<readonly [string, string]>, what: string): boolean {
  const missing = [...new Set(tools.filter(([bin]) => !which(bin)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return true;
  const msg = `Debian package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} not installed: ${what} cannot run`;
  if (process.env.CI === 'true') {
    t.fail(`${msg}; CI=true needs them (make test installs them as root)`);
    return false;
  }
  process.stderr.write(`\n*** WARNING: ${msg}; SKIPPING them. Install with: apt-get install ${missing.join(' ')} ***\n\n`);
  t.plan(0, msg);
  return false;
}
