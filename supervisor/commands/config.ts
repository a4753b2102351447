import { loadConfig, type LoadOptions } from '../../shared/config/load.js';
import { redactSecrets } from '../../shared/secrets.js';
import { printJson, reportError } from './output.js';

/** `propane config`: like `nginx -t`, load and validate with start's precedence, print the result (secrets read "<redacted>"). */
export function configCommand(load: LoadOptions, json: boolean): number {
  try {
    const { config, file } = loadConfig(load);
    printJson(redactSecrets(config), !json);
    if (!json) process.stderr.write(`propane: config OK${file ? ` (${file})` : ' (defaults, environment and flags)'}\n`);
    return 0;
  } catch (err) {
    return reportError(err, json);
  }
}
