import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** Writes the supervisor pid; removal only deletes the file if it still holds our pid. */
export function writePidFile(path: string): void {
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
}

export function removePidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // Gone already, or never written: nothing to clean.
  }
}
