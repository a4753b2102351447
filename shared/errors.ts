/**
 * Stable error codes, alphabetized; docs/errors.md documents each one and a
 * test keeps the two in sync. Never reuse a retired code. Match on `code`,
 * never on message text.
 */
export const ERRORS = {
  PROPANE_ERR_APP_LOAD: { exitCode: 1 },
  PROPANE_ERR_CONFIG_FILE: { exitCode: 2 },
  PROPANE_ERR_CONFIG_INVALID: { exitCode: 2 },
  PROPANE_ERR_CONFIG_OUT_OF_RANGE: { exitCode: 2 },
  PROPANE_ERR_CONFIG_RISKY: { exitCode: 2 },
  PROPANE_ERR_CONFIG_TYPE: { exitCode: 2 },
  PROPANE_ERR_CONFIG_UNKNOWN_KEY: { exitCode: 2 },
  PROPANE_ERR_LISTEN: { exitCode: 1 },
  PROPANE_ERR_NODE_ID_TAKEN: { exitCode: 2 },
  PROPANE_ERR_NODE_TOO_OLD: { exitCode: 2 },
  PROPANE_ERR_PLATFORM_UNSUPPORTED: { exitCode: 2 },
  PROPANE_ERR_RELOAD_ABORTED: { exitCode: 1 },
  PROPANE_ERR_RELOAD_REFUSED: { exitCode: 1 },
  PROPANE_ERR_SOCKET_ACTIVATION: { exitCode: 2 },
  PROPANE_ERR_STATUS_BAD_RESPONSE: { exitCode: 1 },
  PROPANE_ERR_STATUS_SOCKET_IN_USE: { exitCode: 1 },
  PROPANE_ERR_STATUS_SOCKET_PATH: { exitCode: 2 },
  PROPANE_ERR_STATUS_UNREACHABLE: { exitCode: 3 },
  PROPANE_ERR_STOP_TIMEOUT: { exitCode: 1 },
  PROPANE_ERR_TLS_CERT: { exitCode: 2 },
  PROPANE_ERR_TLS_FILE: { exitCode: 2 },
  PROPANE_ERR_TLS_KEY: { exitCode: 2 },
  PROPANE_ERR_USAGE: { exitCode: 2 },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class PropaneError extends Error {
  override readonly name = 'PropaneError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    opts?: ErrorOptions,
  ) {
    super(message, opts);
  }

  get exitCode(): number {
    return ERRORS[this.code].exitCode;
  }
}

/** Several config problems at once: every one is reported, then exit 2. */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  constructor(readonly errors: readonly PropaneError[]) {
    super(errors.map((e) => `${e.code} ${e.message}`).join('\n'));
  }

  get exitCode(): number {
    return 2;
  }
}
