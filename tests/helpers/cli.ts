import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CLI } from './paths.js';
import { cleanEnv, killOnExit, nodeCommand } from './processes.js';

/** The propane CLI as an operator runs it: one command at a time, or one left running (`status --watch`). */

export interface CliOptions {
  env?: Record<string, string>;
  /** Default: a fresh empty directory, so no stray ./propane.json is read. */
  cwd?: string;
  timeoutMs?: number;
  /** Written to propane.json in that fresh directory and passed with --config. */
  config?: Record<string, unknown>;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `propane <args>` with a clean environment; killed at the latest when this process exits. */
export function spawnCli(args: string[], opts: { env?: Record<string, string>; cwd: string }): ChildProcessByStdio<null, Readable, Readable> {
  return killOnExit(spawn(...nodeCommand([CLI, ...args]), { cwd: opts.cwd, env: { ...cleanEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/**
 * Runs one command (config, status, reload, stop, a `start` that must fail)
 * and collects its output. It resolves once every process holding the
 * output pipes is gone, so a `start` that forked workers is waited for too;
 * past timeoutMs it is SIGKILLed and resolves with code null.
 */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'propane-cli-'));
  try {
    const withConfig = [...args];
    if (opts.config) {
      writeFileSync(join(dir, 'propane.json'), JSON.stringify(opts.config));
      withConfig.push('--config', join(dir, 'propane.json'));
    }
    const child = spawnCli(withConfig, { env: opts.env, cwd: opts.cwd ?? dir });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    return { code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
