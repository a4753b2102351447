import { request, type RequestOptions } from 'node:https';
import { createServer } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { HttpReply } from './http.js';

/** Real TLS clients for the TLS tests: node:tls, node:https and ws over wss://, all trusting the test CA. */

export interface TlsClientOptions {
  /** PEM of the CA to trust. */
  ca: string;
  servername?: string;
  /** A client certificate and key (PEM), for mutual TLS. */
  cert?: string;
  key?: string;
  session?: Buffer;
  minVersion?: ConnectionOptions['minVersion'];
  maxVersion?: ConnectionOptions['maxVersion'];
  timeoutMs?: number;
  /** Accept a certificate for another name (to see which certificate a server name gets). */
  anyName?: boolean;
}

function connectionOptions(port: number, o: TlsClientOptions): ConnectionOptions {
  return {
    host: '127.0.0.1',
    port,
    ca: o.ca,
    // Node's clients send no SNI for an IP address; a name, when given, selects the certificate.
    ...(o.servername === undefined ? {} : { servername: o.servername }),
    ...(o.cert === undefined ? {} : { cert: o.cert, key: o.key }),
    ...(o.session === undefined ? {} : { session: o.session }),
    ...(o.minVersion === undefined ? {} : { minVersion: o.minVersion }),
    ...(o.maxVersion === undefined ? {} : { maxVersion: o.maxVersion }),
    ...(o.anyName ? { checkServerIdentity: () => undefined } : {}),
    ALPNProtocols: ['http/1.1'],
  };
}

/** The ClientHello a Node client sends (to a local listener that only records it), for replaying it whole or in part. */
export function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const listener = createServer((s) => {
      s.once('data', (hello: Buffer) => {
        s.destroy();
        listener.close();
        resolve(hello);
      });
    });
    listener.listen(0, '127.0.0.1', () => {
      const client = connect({ host: '127.0.0.1', port: (listener.address() as { port: number }).port, rejectUnauthorized: false });
      client.on('error', () => {});
    });
    listener.on('error', reject);
  });
}

/** A TLS connection, resolved once the handshake completed (the server's certificate verified); rejects on a failed handshake. */
export function tlsConnect(port: number, o: TlsClientOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(connectionOptions(port, o));
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', fail);
    // A TLS 1.3 server that refuses the client's certificate closes after the client already saw its handshake end.
    socket.once('close', () => fail(new Error('closed during the handshake')));
  });
}

export interface HttpsReply extends HttpReply {
  /** The server certificate's SHA-256 fingerprint. */
  fingerprint: string;
  reused: boolean;
  /** The TLS session to resume with, when the server sent one. */
  session: Buffer | undefined;
  alpn: string | false | null;
}

/** One HTTPS request on a fresh connection (no agent), bounded in time. */
export function httpsGet(port: number, path: string, o: TlsClientOptions & { method?: string; headers?: Record<string, string>; body?: string }): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    let session: Buffer | undefined;
    let fingerprint = '';
    const opts: RequestOptions = { ...connectionOptions(port, o), path, method: o.method ?? 'GET', headers: o.headers, agent: false, timeout: o.timeoutMs ?? 10_000 };
    const req = request(opts, (res) => {
      const socket = res.socket as TLSSocket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), fingerprint, reused: socket.isSessionReused(), session: session ?? socket.getSession(), alpn: socket.alpnProtocol });
      });
    });
    req.on('socket', (socket: TLSSocket) => {
      // Read at the handshake: a server that closes after its answer may have closed before 'end'.
      socket.once('secureConnect', () => (fingerprint = socket.getPeerCertificate().fingerprint256));
      // TLS 1.3 sends the session ticket after the handshake; keep the last one.
      socket.on('session', (s: Buffer) => (session = s));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A wss:// client to `path` on 127.0.0.1 trusting `ca`, terminated by `t`'s teardown; resolves once it is open. */
export async function openSecureWebSocket(t: Teardown, port: number, ca: string, path = '/ws', opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, { ca, ...opts });
  t.teardown(() => ws.terminate());
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}
