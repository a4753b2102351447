import type { ValueKind } from './coerce.js';

/** One environment variable: the config path it sets and, when it has one, its legacy name. */
export interface EnvBinding {
  name: string;
  legacy?: string;
  path: string;
  kind: ValueKind;
}

const legacy = (name: string): string => name.replace(/^ARLEN_/, 'MOJOOBJC_');

const bind = (name: string, path: string, kind: ValueKind, hasLegacy = true): EnvBinding =>
  hasLegacy ? { name, legacy: legacy(name), path, kind } : { name, path, kind };

/**
 * The environment layer of docs/configuration.md. Every ARLEN_* variable
 * also answers to its legacy MOJOOBJC_* name (accepting it for all is
 * harmless and saves operators from remembering which had one). The ARLEN_
 * name wins.
 */
export const ENV_BINDINGS: readonly EnvBinding[] = [
  bind('ARLEN_PROPANE_WORKERS', 'workers', 'int'),
  bind('ARLEN_HOST', 'host', 'string'),
  bind('ARLEN_PORT', 'port', 'int'),
  bind('ARLEN_MAX_HTTP_SESSIONS', 'runtimeLimits.maxConcurrentHTTPSessions', 'int'),
  bind('ARLEN_MAX_WEBSOCKET_SESSIONS', 'runtimeLimits.maxConcurrentWebSocketSessions', 'int'),
  bind('ARLEN_HEADER_TIMEOUT_SECONDS', 'timeouts.headerSeconds', 'number'),
  bind('ARLEN_BODY_TIMEOUT_SECONDS', 'timeouts.bodySeconds', 'number'),
  bind('ARLEN_IDLE_TIMEOUT_SECONDS', 'timeouts.idleSeconds', 'number'),
  bind('ARLEN_WRITE_TIMEOUT_SECONDS', 'timeouts.writeSeconds', 'number'),
  bind('ARLEN_CLUSTER_ENABLED', 'cluster.enabled', 'boolean'),
  bind('ARLEN_CLUSTER_NAME', 'cluster.name', 'string'),
  bind('ARLEN_CLUSTER_NODE_ID', 'cluster.nodeId', 'string'),
  bind('ARLEN_CLUSTER_EXPECTED_NODES', 'cluster.expectedNodes', 'int'),
  bind('ARLEN_CLUSTER_OBSERVED_NODES', 'cluster.observedNodes', 'int'),
  bind('ARLEN_CLUSTER_EMIT_HEADERS', 'cluster.emitHeaders', 'boolean'),
  bind('ARLEN_CLUSTER_MEMBERSHIP_SOURCE', 'cluster.membership.source', 'string'),
  bind('ARLEN_CLUSTER_LEASE_SECONDS', 'cluster.membership.leaseSeconds', 'int'),
  bind('ARLEN_CLUSTER_ETCD_ENDPOINTS', 'cluster.membership.etcd.endpoints', 'list'),
  bind('ARLEN_CLUSTER_ETCD_PREFIX', 'cluster.membership.etcd.prefix', 'string'),
  bind('ARLEN_CLUSTER_ETCD_USERNAME', 'cluster.membership.etcd.username', 'string'),
  bind('ARLEN_CLUSTER_ETCD_PASSWORD', 'cluster.membership.etcd.password', 'string'),
  bind('ARLEN_READINESS_REQUIRES_CLUSTER_QUORUM', 'observability.readinessRequiresClusterQuorum', 'boolean'),
  bind('ARLEN_TRACE_PROPAGATION_ENABLED', 'observability.tracePropagationEnabled', 'boolean'),
  bind('ARLEN_RESPONSE_IDENTITY_HEADERS_ENABLED', 'observability.responseIdentityHeadersEnabled', 'boolean'),
  bind('ARLEN_SECURITY_PROFILE', 'securityProfile', 'string'),
  bind('ARLEN_TLS_CERT_FILE', 'tls.certFile', 'string'),
  bind('ARLEN_TLS_KEY_FILE', 'tls.keyFile', 'string'),
];
