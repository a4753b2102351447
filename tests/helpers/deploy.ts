import type { Config } from '../../contracts/config.js';
import { DRAIN_KILL_MARGIN_MS } from '../../supervisor/worker-pool.js';
import { CLOSE_TIMEOUT_MS } from '../../supervisor/service-notifier.js';
import { MEMBERSHIP_STOP_TIMEOUT_MS } from '../../supervisor/membership/source.js';
import { runCli } from './cli.js';

/** What the deploy/ tests check against propane itself: how long a stop may take, and what start's flags mean. */

/**
 * The longest a graceful stop takes with `graceSeconds`: the grace, the
 * margin before a draining worker is SIGKILLed, leaving the membership
 * store (bounded, before the drain and again at the end) and flushing the
 * last service manager notifications. A service manager's stop timeout must
 * exceed it.
 */
export function stopBudgetSeconds(graceSeconds: number): number {
  return graceSeconds + DRAIN_KILL_MARGIN_MS / 1000 + (2 * MEMBERSHIP_STOP_TIMEOUT_MS) / 1000 + CLOSE_TIMEOUT_MS / 1000;
}

/**
 * The config `propane start <args>` would run with, from `propane config --json`
 * given the same flags. The app and the --config file name paths of the target
 * machine: the app is left out, and `configFile` (a local copy) stands in for
 * the config file, or nothing does. Throws when propane refuses them.
 */
export async function configOfStartArgs(args: readonly string[], configFile?: string): Promise<Config> {
  const flags: string[] = configFile ? ['--config', configFile] : [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') i++;
    else if (args[i]!.startsWith('--')) flags.push(args[i]!, ...(args[i + 1] && !args[i + 1]!.startsWith('--') ? [args[++i]!] : []));
  }
  const r = await runCli(['config', '--json', ...flags]);
  if (r.code !== 0) throw new Error(`propane config ${flags.join(' ')} exited ${String(r.code)}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Config;
}
