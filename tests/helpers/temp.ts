import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Scratch files for one test: a directory or a file removed by its teardown, and short Unix socket paths. */

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A fresh directory under the temp dir, removed when `t` ends. */
export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'propane-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file `name` holding `content` in a fresh directory removed when `t` ends; returns its path (rewrite it with writeFileSync). */
export function tempFile(t: Teardown, name: string, content: string): string {
  const file = join(tempDir(t), name);
  writeFileSync(file, content);
  return file;
}

let socketCounter = 0;
/** Short socket paths straight in the temp dir: sun_path is capped near 100 bytes. */
export function tempSocketPath(): string {
  return join(tmpdir(), `propane-${process.pid}-${++socketCounter}.sock`);
}
