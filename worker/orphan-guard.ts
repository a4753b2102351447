import type { Logger } from '../shared/log.js';
import { logEvent } from '../shared/log.js';

/**
 * A worker must not outlive its supervisor: when the IPC
 * channel closes without a planned drain (the supervisor died, even by
 * SIGKILL), exit at once so the port is freed.
 */
export function guardAgainstOrphaning(log: Logger, isPlannedExit: () => boolean): void {
  // Prepended: node:cluster's own child handler calls process.exit(0) on an
  // unexpected disconnect, so a listener added after it would never run, and
  // the exit would be silent and look like success.
  process.prependOnceListener('disconnect', () => {
    if (isPlannedExit()) return;
    logEvent(log, 'warn', 'orphaned', {}, 'the supervisor is gone; exiting');
    process.exit(1);
  });
}
