/**
 * The config keys whose values are secrets, listed once. `propane config`
 * prints them as "<redacted>", config errors never echo them, the logger
 * censors fields named like them, and workers get only the ones they use.
 */
const SECRETS: ReadonlyArray<{ key: string; workersUseIt: boolean }> = [
  // Workers never talk to etcd, so its password stays in the supervisor.
  { key: 'cluster.membership.etcd.password', workersUseIt: false },
  // Workers check it when /clusterz requires the token (docs/security-profiles.md).
  { key: 'status.token', workersUseIt: true },
];

export const REDACTED = '<redacted>';

export function isSecretKey(key: string): boolean {
  return SECRETS.some((s) => s.key === key);
}

/** pino redact paths: a field named like a secret's last key, up to two levels deep in a log line. */
export const LOG_REDACT_PATHS: readonly string[] = [...new Set(SECRETS.map((s) => s.key.split('.').at(-1)!))].flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);

/** A copy of `config` for output: every secret that is set reads "<redacted>". */
export function redactSecrets<T extends object>(config: T): T {
  return SECRETS.reduce(
    (c, s) =>
      updateAt(c, s.key.split('.'), (holder, key) => {
        if (holder[key] !== undefined && holder[key] !== null) holder[key] = REDACTED;
      }),
    config,
  );
}

/** A copy of `config` for a worker's boot message, without the secrets workers do not use. */
export function withoutSupervisorSecrets<T extends object>(config: T): T {
  return SECRETS.filter((s) => !s.workersUseIt).reduce((c, s) => updateAt(c, s.key.split('.'), (holder, key) => delete holder[key]), config);
}

/** Copies the objects along `path` (the config is frozen) and lets `change` edit the last one. */
function updateAt<T>(obj: T, path: readonly string[], change: (holder: Record<string, unknown>, key: string) => void): T {
  const [key, ...rest] = path;
  if (key === undefined || obj === null || typeof obj !== 'object') return obj;
  const copy: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
  if (rest.length === 0) change(copy, key);
  else if (key in copy) copy[key] = updateAt(copy[key], rest, change);
  return copy as T;
}
