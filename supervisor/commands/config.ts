import type { Config } from '../../contracts/config.js';
import { loadConfig, type LoadOptions } from '../../shared/config/load.js';
import { printJson, reportError } from './output.js';

const REDACTED = '<redacted>';

/** Secrets never leave the process in output: the etcd password and the status token read "<redacted>". */
export function redact(config: Config): unknown {
  const etcd = config.cluster.membership.etcd;
  return {
    ...config,
    status: { ...config.status, token: config.status.token === null ? null : REDACTED },
    cluster: { ...config.cluster, membership: { ...config.cluster.membership, etcd: { ...etcd, ...(etcd.password ? { password: REDACTED } : {}) } } },
  };
}

/** `propane config`: like `nginx -t`, load and validate with start's precedence, print the result. */
export function configCommand(load: LoadOptions, json: boolean): number {
  try {
    const { config, file } = loadConfig(load);
    printJson(redact(config), !json);
    if (!json) process.stderr.write(`propane: config OK${file ? ` (${file})` : ' (defaults, environment and flags)'}\n`);
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}
