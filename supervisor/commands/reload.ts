import type { ReloadOutcome, ReloadResponse } from '../../contracts/status.js';
import { PropaneError, type ErrorCode } from '../../shared/errors.js';
import { callStatusSocket, parseJsonReply } from '../status-client.js';
import { printJson, reportError } from './output.js';

const FAILED: Record<Exclude<ReloadOutcome, 'completed'>, ErrorCode> = {
  refused: 'PROPANE_ERR_RELOAD_REFUSED',
  aborted: 'PROPANE_ERR_RELOAD_ABORTED',
};

/** `propane reload`: start a rolling reload and wait for its outcome; 0 completed, 1 refused or aborted. */
export async function reloadCommand(socket: string, json: boolean): Promise<number> {
  try {
    const result = parseJsonReply<ReloadResponse>(await callStatusSocket(socket, 'POST', '/reload', 3_600_000), socket);
    if (json) printJson(result);
    else if (result.outcome === 'completed') process.stdout.write(`reload completed (${result.started_at} to ${result.finished_at})\n`);
    if (result.outcome === 'completed') return 0;
    // Not through reportError: with --json the outcome above is already the one JSON document on stdout.
    const failure = new PropaneError(FAILED[result.outcome], `reload ${result.outcome}: ${result.reason ?? 'no reason given'}`);
    process.stderr.write(`propane: ${failure.code} ${failure.message}\n`);
    return failure.exitCode;
  } catch (err) {
    return reportError(err, json);
  }
}
