import { existsSync, readFileSync } from 'node:fs';
import { hostname, availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Config, ConfigInput, SECURITY_PROFILES, type SecurityProfileName } from '../../contracts/config.js';
import { ConfigErrors, PropaneError } from '../errors.js';
import { findNodeGaps } from '../node-support.js';
import { readTlsMaterial, type TlsMaterial } from '../tls-files.js';
import { coerce } from './coerce.js';
import { describeIssues } from './diagnostics.js';
import { ENV_BINDINGS } from './env.js';
import { FLAG_BINDINGS, NO_RESPAWN_PATH } from './flags.js';
import { isPlainObject, mergeLayer, setPath, type Raw, type Sources } from './layers.js';
import { SECURITY_PRESETS } from './profiles.js';
import { findRisks } from './risks.js';

export interface LoadOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** commander's parsed options: strings, and `respawn: false` for --no-respawn. */
  flags: Readonly<Record<string, unknown>>;
  configFile?: string | undefined;
  app?: string | undefined;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  file: string | null;
  sources: Sources;
  /** The certificates and keys `tls.*` names, read and checked; null with TLS off. */
  tls: TlsMaterial | null;
}

export const DEFAULT_CONFIG_FILE = 'propane.json';

/**
 * defaults < security-profile preset < config file < environment < flags,
 * parsed once and frozen (docs/configuration.md). Throws ConfigErrors listing
 * every problem found, so an operator fixes them in one go.
 */
export function loadConfig(opts: LoadOptions): LoadedConfig {
  const errors: PropaneError[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PropaneError) errors.push(err);
      else throw err;
      return undefined;
    }
  };

  const file = resolveConfigFile(opts);
  const fileLayer = file ? collect(() => readConfigFile(file)) ?? {} : {};
  if (isPlainObject(fileLayer) && typeof fileLayer.app === 'string' && file) {
    fileLayer.app = resolve(dirname(file), fileLayer.app);
  }

  const envLayers: Array<[Raw, string]> = [];
  for (const b of ENV_BINDINGS) {
    const name = opts.env[b.name] !== undefined ? b.name : b.legacy && opts.env[b.legacy] !== undefined ? b.legacy : undefined;
    if (!name) continue;
    const value = collect(() => coerce(opts.env[name]!, b.kind, b.path, name));
    if (value !== undefined) envLayers.push([layerOf(b.path, value), name]);
  }

  const flagLayers: Array<[Raw, string]> = [];
  for (const b of FLAG_BINDINGS) {
    const raw = opts.flags[b.attribute];
    if (raw === undefined) continue;
    const flag = b.flags.split(' ')[0]!;
    const value = collect(() => coerce(String(raw), b.kind, b.path, flag));
    if (value !== undefined) flagLayers.push([layerOf(b.path, value), flag]);
  }
  if (opts.flags.respawn === false) flagLayers.push([layerOf(NO_RESPAWN_PATH, false), '--no-respawn']);
  if (opts.app !== undefined) flagLayers.push([{ app: resolve(opts.cwd, opts.app) }, 'the app argument']);

  const profile = chooseProfile([fileLayer, ...envLayers.map(([l]) => l), ...flagLayers.map(([l]) => l)]);
  const merged: Raw = {};
  const sources: Sources = new Map();
  collect(() => {
    mergeLayer(merged, { security: { ...SECURITY_PRESETS[profile] } }, `securityProfile ${profile}`, sources);
    mergeLayer(merged, fileLayer, file ? `config file ${file}` : 'the config file', sources);
    for (const [layer, source] of [...envLayers, ...flagLayers]) mergeLayer(merged, layer, source, sources);
  });

  const parsed = ConfigInput.safeParse(merged);
  if (!parsed.success) errors.push(...describeIssues(parsed.error.issues, merged, sources));
  if (errors.length > 0 || !parsed.success) throw new ConfigErrors(errors);

  const input = parsed.data;
  const config = Config.parse({
    ...input,
    workers: input.workers ?? availableParallelism(),
    cluster: {
      ...input.cluster,
      nodeId: input.cluster.nodeId ?? hostname(),
      observedNodes: input.cluster.observedNodes ?? input.cluster.expectedNodes,
      emitHeaders: input.cluster.emitHeaders ?? input.cluster.enabled,
    },
  });
  const refusals = [...findRisks(config), ...findNodeGaps(config, sources, process.version, process.platform)];
  if (refusals.length > 0) throw new ConfigErrors(refusals);
  const frozen = deepFreeze(config);
  return { config: frozen, file, sources, tls: readTlsMaterial(frozen.tls) };
}

function resolveConfigFile(opts: LoadOptions): string | null {
  if (opts.configFile !== undefined) return resolve(opts.cwd, opts.configFile);
  const fallback = resolve(opts.cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : null;
}

function readConfigFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'an error';
    throw new PropaneError('PROPANE_ERR_CONFIG_FILE', `--config ${file} cannot be read (${code}). Fix: give the path of a readable JSON file.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PropaneError('PROPANE_ERR_CONFIG_FILE', `config file ${file} is not valid JSON (${(err as Error).message}). Fix: correct the JSON syntax.`);
  }
  if (!isPlainObject(data)) {
    throw new PropaneError('PROPANE_ERR_CONFIG_FILE', `config file ${file} must hold a JSON object; got ${Array.isArray(data) ? 'an array' : typeof data}. Fix: wrap the settings in { }.`);
  }
  return data;
}

function layerOf(path: string, value: unknown): Raw {
  const layer: Raw = {};
  setPath(layer, path.split('.'), value);
  return layer;
}

/** The profile named by the highest layer; an invalid name is reported by the schema later. */
function chooseProfile(layers: readonly unknown[]): SecurityProfileName {
  let chosen: SecurityProfileName = 'balanced';
  for (const layer of layers) {
    const name = isPlainObject(layer) ? layer.securityProfile : undefined;
    if ((SECURITY_PROFILES as readonly unknown[]).includes(name)) chosen = name as SecurityProfileName;
  }
  return chosen;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
