import type { StatusPayload } from '../../contracts/status.js';
import { PropaneError } from '../../shared/errors.js';
import { isProcessAlive } from '../../shared/process-alive.js';
import { callStatusSocket, parseJsonReply } from '../status-client.js';
import { printJson, reportError } from './output.js';

/** `propane stop`: graceful shutdown, then wait until the supervisor process is gone. */
export async function stopCommand(socket: string, json: boolean, timeoutSeconds: number): Promise<number> {
  try {
    const status = parseJsonReply<StatusPayload>(await callStatusSocket(socket, 'GET', '/status'), socket);
    const pid = status.supervisor.pid;
    const t0 = Date.now();
    await callStatusSocket(socket, 'POST', '/stop');
    while (isProcessAlive(pid)) {
      if (Date.now() - t0 > timeoutSeconds * 1000) {
        throw new PropaneError('PROPANE_ERR_STOP_TIMEOUT', `supervisor ${pid} is still running after ${timeoutSeconds}s. Fix: wait, raise --timeout, or send SIGTERM twice to force it.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (Date.now() - t0) / 1000;
    if (json) printJson({ ok: true, pid, stopped_in_seconds: seconds });
    else process.stdout.write(`stopped supervisor ${pid} in ${seconds.toFixed(2)}s\n`);
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}
