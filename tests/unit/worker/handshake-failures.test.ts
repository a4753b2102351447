import t from 'tap';
import { classifyHandshakeFailure, type HandshakeFailure } from '../../../worker/handshake-failures.js';

// The codes are those tls.Server's tlsClientError reported in each case on Node 20 (OpenSSL 3.0)
// and Node 24 (OpenSSL 3.5); docs/tls.md, "What a failure looks like", has the same table.
const f = (code: string | undefined, over: Partial<HandshakeFailure> = {}): HandshakeFailure => ({ code, authorizationError: null, rawBytesRead: 517, rawBytesWritten: 1200, ...over });

for (const c of [
  { name: 'a handshake timeout is a timeout, not a failure', in: f('ERR_TLS_HANDSHAKE_TIMEOUT', { rawBytesRead: 0 }), want: 'timeout' },
  { name: 'plain HTTP on the TLS port is a protocol error', in: f('ERR_SSL_HTTP_REQUEST', { rawBytesWritten: 0 }), want: 'protocol' },
  { name: 'a proxy CONNECT is a protocol error', in: f('ERR_SSL_HTTPS_PROXY_REQUEST'), want: 'protocol' },
  { name: 'random bytes are a protocol error', in: f('ERR_SSL_WRONG_VERSION_NUMBER'), want: 'protocol' },
  { name: 'an oversized record is a protocol error on OpenSSL 3.0', in: f('ERR_SSL_PACKET_LENGTH_TOO_LONG'), want: 'protocol' },
  { name: 'an oversized record is a protocol error on OpenSSL 3.5 too', in: f('ERR_SSL_DATA_LENGTH_TOO_LONG'), want: 'protocol' },
  { name: 'a TLS 1.1 client under minVersion TLSv1.2 is a protocol error', in: f('ERR_SSL_UNSUPPORTED_PROTOCOL'), want: 'protocol' },
  { name: 'a client offering only h2 is a protocol error', in: f('ERR_SSL_NO_APPLICATION_PROTOCOL'), want: 'protocol' },
  { name: 'a truncated ClientHello then a close is a protocol error', in: f('ECONNRESET', { rawBytesRead: 40, rawBytesWritten: 0 }), want: 'protocol' },
  { name: 'no client certificate under mutual TLS', in: f('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'), want: 'no_client_certificate' },
  { name: 'a client certificate of another CA: Node resets after its own check', in: f('ECONNRESET', { authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), want: 'bad_client_certificate' },
  { name: 'a client that rejects our certificate sends an alert: other', in: f('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), want: 'other' },
  { name: 'a full ClientHello, then the client gave up: other', in: f('ECONNRESET'), want: 'other' },
  { name: 'an error nobody foresaw: other', in: f('EPIPE'), want: 'other' },
  { name: 'no code at all: other', in: f(undefined), want: 'other' },
  { name: 'a connect and a close without a byte (a TCP health probe) is not a handshake', in: f('ECONNRESET', { rawBytesRead: 0, rawBytesWritten: 0 }), want: null },
] as const) {
  t.test(c.name, async (t) => t.equal(classifyHandshakeFailure(c.in), c.want));
}
