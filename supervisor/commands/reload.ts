import type { ReloadResponse } from '../../contracts/status.js';
import { callStatusSocket, parseJsonReply } from '../status-client.js';
import { printJson, reportError } from './output.js';

/** `propane reload`: start a rolling reload and wait for its outcome; 0 completed, 1 refused or aborted. */
export async function reloadCommand(socket: string, json: boolean): Promise<number> {
  try {
    const result = parseJsonReply<ReloadResponse>(await callStatusSocket(socket, 'POST', '/reload', 3_600_000), socket);
    if (json) printJson(result);
    else if (result.outcome === 'completed') process.stdout.write(`reload completed (${result.started_at} to ${result.finished_at})\n`);
    if (result.outcome !== 'completed') {
      process.stderr.write(`propane: PROPANE_ERR_RELOAD_${result.outcome === 'refused' ? 'REFUSED' : 'ABORTED'} reload ${result.outcome}: ${result.reason ?? 'no reason given'}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}
