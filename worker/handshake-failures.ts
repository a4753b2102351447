import type { HandshakeFailureReason } from './stats.js';

/** What a failed handshake leaves to judge it by: the error of tls.Server's `tlsClientError` and the raw socket's counters. */
export interface HandshakeFailure {
  code: string | undefined;
  /** The TLSSocket's `authorizationError`: Node's own check of a client certificate failed. */
  authorizationError: unknown;
  rawBytesRead: number;
  rawBytesWritten: number;
}

/**
 * Why a TLS handshake failed (docs/tls.md, "What a failure looks like"):
 * a reason of `propane_tls_handshake_failures_total`, `timeout` for the
 * handshake timeout (counted only as a timeout), or null for a client that
 * connected and left without sending a byte (load-balancer and TCP health
 * probes), which is not a handshake at all.
 *
 * Codes are matched by rule, not listed: OpenSSL renames some between 3.0
 * (Node 20) and 3.5 (Node 24), and the message text names OpenSSL's own
 * functions, so it is never read.
 */
export function classifyHandshakeFailure(f: HandshakeFailure): HandshakeFailureReason | 'timeout' | null {
  const code = f.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  // Node verifies a client certificate in JavaScript once OpenSSL is done, and destroys the
  // socket without an OpenSSL error: what remains is a reset with authorizationError set.
  if (f.authorizationError) return 'bad_client_certificate';
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no_client_certificate';
  // An alert the client sent (it does not trust our certificate, say) is its decision, not bad input.
  if (code.startsWith('ERR_SSL_')) return code.includes('_ALERT_') ? 'other' : 'protocol';
  if (code === 'ECONNRESET') {
    if (f.rawBytesRead === 0) return null;
    // Bytes came but never a whole ClientHello, since nothing was answered.
    if (f.rawBytesWritten === 0) return 'protocol';
  }
  return 'other';
}
