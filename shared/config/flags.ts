import type { ValueKind } from './coerce.js';

/**
 * The config options `propane start` and `propane config` share (their
 * keys in docs/configuration.md). `attribute` is commander's camelCase name
 * for the option.
 */
export interface FlagBinding {
  flags: string;
  attribute: string;
  path: string;
  kind: ValueKind;
  description: string;
}

export const FLAG_BINDINGS: readonly FlagBinding[] = [
  { flags: '--workers <n>', attribute: 'workers', path: 'workers', kind: 'int', description: 'worker processes (default: one per CPU)' },
  { flags: '--host <addr>', attribute: 'host', path: 'host', kind: 'string', description: 'address to listen on (default: 127.0.0.1)' },
  { flags: '--port <n>', attribute: 'port', path: 'port', kind: 'int', description: 'port to listen on; 0 picks a free one (default: 3000)' },
  { flags: '--status-socket <path>', attribute: 'statusSocket', path: 'status.socket', kind: 'string', description: 'status socket path (default: ./propane.sock)' },
  { flags: '--pid-file <path>', attribute: 'pidFile', path: 'propane.pidFile', kind: 'string', description: 'write the supervisor pid to this file' },
  { flags: '--graceful-shutdown-seconds <n>', attribute: 'gracefulShutdownSeconds', path: 'propane.gracefulShutdownSeconds', kind: 'number', description: 'how long a draining worker may finish its requests (default: 10)' },
  { flags: '--respawn-delay-ms <n>', attribute: 'respawnDelayMs', path: 'propane.respawnDelayMs', kind: 'int', description: 'delay before replacing a worker that exited (default: 250)' },
  { flags: '--reload-overlap-seconds <n>', attribute: 'reloadOverlapSeconds', path: 'propane.reloadOverlapSeconds', kind: 'number', description: 'pause between a replacement being ready and the old worker draining (default: 1)' },
  { flags: '--max-http-sessions <n>', attribute: 'maxHttpSessions', path: 'runtimeLimits.maxConcurrentHTTPSessions', kind: 'int', description: 'node-wide HTTP session limit (default: 256)' },
  { flags: '--max-websocket-sessions <n>', attribute: 'maxWebsocketSessions', path: 'runtimeLimits.maxConcurrentWebSocketSessions', kind: 'int', description: 'node-wide WebSocket session limit (default: 256)' },
  { flags: '--security-profile <name>', attribute: 'securityProfile', path: 'securityProfile', kind: 'string', description: 'balanced, strict or edge (default: balanced)' },
  { flags: '--scheduling-policy <policy>', attribute: 'schedulingPolicy', path: 'propane.schedulingPolicy', kind: 'string', description: 'none, round_robin or reuse_port (default: none; see docs/scheduling.md)' },
  { flags: '--log-level <level>', attribute: 'logLevel', path: 'logLevel', kind: 'string', description: 'fatal, error, warn, info, debug, trace or silent (default: info)' },
];

/** `--no-respawn` is a negation, so commander gives it as `respawn: false`. */
export const NO_RESPAWN_PATH = 'propane.respawn';
