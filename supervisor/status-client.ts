import { PropaneError } from '../shared/errors.js';
import { request } from '../shared/node-http.js';

export interface StatusReply {
  status: number;
  body: string;
}

/** One request to the status socket; no supervisor there is PROPANE_ERR_STATUS_UNREACHABLE (exit 3). */
export function callStatusSocket(socketPath: string, method: 'GET' | 'POST', path: string, timeoutMs = 120_000): Promise<StatusReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { host: 'localhost' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK' || err.code === 'EACCES') {
        reject(new PropaneError('PROPANE_ERR_STATUS_UNREACHABLE', `no supervisor answers on ${socketPath} (${err.code}). Fix: start one with propane start, or point --status-socket at its socket.`));
      } else {
        reject(new PropaneError('PROPANE_ERR_STATUS_BAD_RESPONSE', `the status socket ${socketPath} failed: ${err.message}. Fix: check the supervisor's logs.`));
      }
    });
    req.end();
  });
}

export function parseJsonReply<T>(reply: StatusReply, socketPath: string): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    throw new PropaneError('PROPANE_ERR_STATUS_BAD_RESPONSE', `the status socket ${socketPath} answered ${reply.status} with something that is not JSON. Fix: check that --status-socket names a propane supervisor.`);
  }
}
