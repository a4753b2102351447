import type { StatusPayload } from '../../contracts/status.js';
import { callStatusSocket, parseJsonReply } from '../status-client.js';
import { printJson, reportError } from './output.js';
import { renderStatusTable } from './status-table.js';

export interface StatusOptions {
  socket: string;
  json: boolean;
  prometheus: boolean;
  watch: number | null;
}

/** `propane status`: the table by default, --json as served, --prometheus the metrics text. */
export async function statusCommand(opts: StatusOptions): Promise<number> {
  try {
    if (opts.watch !== null && !opts.json && !opts.prometheus) return await watch(opts.socket, opts.watch);
    if (opts.prometheus) {
      const reply = await callStatusSocket(opts.socket, 'GET', '/metrics');
      process.stdout.write(reply.body);
      return reply.status === 200 ? 0 : 1;
    }
    const status = parseJsonReply<StatusPayload>(await callStatusSocket(opts.socket, 'GET', '/status'), opts.socket);
    if (opts.json) printJson(status);
    else process.stdout.write(renderStatusTable(status));
    return 0;
  } catch (err) {
    return reportError(err, opts.json);
  }
}

/** --watch: redraw in place until interrupted, or until the supervisor goes away (exit 3). */
async function watch(socket: string, everySeconds: number): Promise<number> {
  for (;;) {
    const status = parseJsonReply<StatusPayload>(await callStatusSocket(socket, 'GET', '/status'), socket);
    process.stdout.write(`\x1b[H\x1b[2J${renderStatusTable(status)}\n(every ${everySeconds}s; Ctrl-C to quit)\n`);
    await new Promise((resolve) => setTimeout(resolve, everySeconds * 1000));
  }
}
