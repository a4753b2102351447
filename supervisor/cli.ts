#!/usr/bin/env node
// First, before any other module loads: it sizes the heap (young-generation.ts says why).
import './young-generation.js';
import { Command, CommanderError, Option } from 'commander';
import { FLAG_BINDINGS } from '../shared/config/flags.js';
import type { LoadOptions } from '../shared/config/load.js';
import type { ErrorCode } from '../shared/errors.js';
import { VERSION } from './version.js';

// Each command is imported when it runs: `propane status` and `stop` then load
// neither zod, nor pino, nor the supervisor, and start in a fraction of
// the memory and time; the supervisor, in turn, loads no other command's code.

const DEFAULT_SOCKET = './propane.sock';

/** The `propane` command line (README, "Commands"): parse, wire, run; exit codes 0/1/2/3 (docs/errors.md). */
const program = new Command('propane')
  .description('A multi-process supervisor and worker pool for Node.js HTTP and WebSocket services')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError(false)
  .configureOutput({
    outputError: (text, write) => write(usageLine(text.replace(/^error: /, '').trim().replace(/\.$/, ''))),
  });

function withConfigOptions(cmd: Command): Command {
  cmd.option('--config <file>', 'JSON config file (default: ./propane.json when it exists)');
  for (const b of FLAG_BINDINGS) cmd.option(b.flags, b.description);
  cmd.option('--no-respawn', 'do not replace workers that exit');
  return cmd.option('--json', 'machine-readable output');
}

function loadOptions(opts: Record<string, unknown>, app?: string): LoadOptions {
  return { cwd: process.cwd(), env: process.env, flags: opts, configFile: opts.config as string | undefined, app };
}

let exitCode = 0;

withConfigOptions(program.command('start').argument('[app]', 'app module (.js, .cjs, .mjs; .ts, .mts, .cts on Node.js 22.18+); default: the embedded app').description('run the supervisor in the foreground'))
  .action(async (app: string | undefined, opts: Record<string, unknown>) => {
    const { startCommand } = await import('./commands/start.js');
    exitCode = await startCommand(loadOptions(opts, app), Boolean(opts.json));
  });

withConfigOptions(program.command('config').description('load, validate and print the normalised config (like nginx -t)'))
  .action(async (opts: Record<string, unknown>) => {
    const { configCommand } = await import('./commands/config.js');
    exitCode = configCommand(loadOptions(opts), Boolean(opts.json));
  });

program
  .command('status')
  .description('show the supervisor and its workers')
  .option('--status-socket <path>', 'status socket', DEFAULT_SOCKET)
  .option('--json', 'the JSON payload')
  .option('--prometheus', 'Prometheus text')
  .addOption(new Option('--watch [seconds]', 'refresh in place').argParser(positiveNumber))
  .action(async (opts: { statusSocket: string; json?: boolean; prometheus?: boolean; watch?: number | true }) => {
    const watch = opts.watch === undefined ? null : opts.watch === true ? 1 : opts.watch;
    const { statusCommand } = await import('./commands/status.js');
    exitCode = await statusCommand({ socket: opts.statusSocket, json: Boolean(opts.json), prometheus: Boolean(opts.prometheus), watch });
  });

program
  .command('reload')
  .description('rolling reload of every worker; waits for the outcome')
  .option('--status-socket <path>', 'status socket', DEFAULT_SOCKET)
  .option('--json', 'the outcome as JSON')
  .action(async (opts: { statusSocket: string; json?: boolean }) => {
    const { reloadCommand } = await import('./commands/reload.js');
    exitCode = await reloadCommand(opts.statusSocket, Boolean(opts.json));
  });

program
  .command('stop')
  .description('graceful shutdown; waits until the supervisor is gone')
  .option('--status-socket <path>', 'status socket', DEFAULT_SOCKET)
  .addOption(new Option('--timeout <seconds>', 'how long to wait for the supervisor to exit').default(120).argParser(positiveNumber))
  .option('--json', 'the outcome as JSON')
  .action(async (opts: { statusSocket: string; timeout: number; json?: boolean }) => {
    const { stopCommand } = await import('./commands/stop.js');
    exitCode = await stopCommand(opts.statusSocket, Boolean(opts.json), opts.timeout);
  });

/** A usage error's line on stderr, the same for commander's errors and ours. */
function usageLine(problem: string): string {
  const code: ErrorCode = 'PROPANE_ERR_USAGE';
  return `propane: ${code} ${problem}. Fix: see propane --help.\n`;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderError(2, 'propane.invalidArgument', `error: ${JSON.stringify(value)} is not a positive number`);
  return n;
}

try {
  await program.parseAsync();
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // commander exits 1 on usage errors; the contract says 2. Help and version are 0.
  exitCode = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  if (err.code === 'propane.invalidArgument') process.stderr.write(usageLine(err.message.replace(/^error: /, '')));
}
// Flush stdout before leaving: cluster and timers may still hold the loop open.
process.stdout.write('', () => process.exit(exitCode));
