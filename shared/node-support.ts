import type { Config } from '../contracts/config.js';
import { PropaneError } from './errors.js';
import { sourceOf, type Sources } from './config/layers.js';

/**
 * What the running Node.js can do, judged from its version alone, and what a
 * config asks of it (docs/runtimes.md). Each feature lists the first release
 * of every line that has it; a line newer than the last one listed has it
 * from its first release.
 */
const FEATURES = {
  /** Unflagged and without an ExperimentalWarning since 22.18 (backported from 23.6). */
  typeStripping: { what: 'built-in TypeScript type stripping', firsts: [[22, 18], [23, 6]] },
  /**
   * net.Server#listen({ reusePort }) since 22.12 (backported from 23.1), and with it the flags
   * argument of net._createServerHandle that the reuse_port policy binds with; older lines ignore
   * the flag, so a second socket on the port fails with EADDRINUSE.
   */
  reusePort: { what: 'SO_REUSEPORT listeners', firsts: [[22, 12], [23, 1]] },
} as const satisfies Record<string, { what: string; firsts: ReadonlyArray<readonly [number, number]> }>;

export type NodeFeature = keyof typeof FEATURES;

/** The Node.js releases a user can read: "22.18" for type stripping. */
export function minimumNodeFor(feature: NodeFeature): string {
  const [major, minor] = FEATURES[feature].firsts[0];
  return `${major}.${minor}`;
}

/** `version` as in process.version ("v22.18.0"); anything unparseable supports nothing. */
export function supportsFeature(feature: NodeFeature, version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const firsts = FEATURES[feature].firsts;
  if (major > firsts[firsts.length - 1]![0]) return true;
  const first = firsts.find(([line]) => line === major);
  return first !== undefined && minor >= first[1];
}

export const supportsTypeStripping = (version: string): boolean => supportsFeature('typeStripping', version);
export const supportsReusePort = (version: string): boolean => supportsFeature('reusePort', version);

/** The extensions Node.js strips types from: .mts is ESM, .cts CommonJS, .ts follows the package or its syntax. */
export function isTypeScriptApp(path: string): boolean {
  return /\.[mc]?ts$/.test(path);
}

/** PROPANE_ERR_NODE_TOO_OLD for `subject` (what asked for the feature, and where from). */
export function nodeTooOld(feature: NodeFeature, version: string, subject: string, fix: string): PropaneError {
  const needed = minimumNodeFor(feature);
  return new PropaneError('PROPANE_ERR_NODE_TOO_OLD', `${subject} needs Node.js ${needed} or newer (${FEATURES[feature].what}); this is Node.js ${version}. Fix: ${fix}.`);
}

/**
 * What `config` needs that Node.js `version` on `platform` (process.platform)
 * lacks: refused by `propane start` before any fork, by `propane config`, and
 * by a reload.
 */
export function findNodeGaps(config: Config, sources: Sources, version: string, platform: string): PropaneError[] {
  const gaps: PropaneError[] = [];
  if (config.app !== null && isTypeScriptApp(config.app) && !supportsTypeStripping(version)) {
    const subject = `the TypeScript app ${config.app} (from ${sourceOf(sources, ['app'])})`;
    gaps.push(nodeTooOld('typeStripping', version, subject, `run propane on Node.js ${minimumNodeFor('typeStripping')} or newer, or compile the app to JavaScript and start the .js file`));
  }
  if (config.propane.schedulingPolicy === 'reuse_port') {
    const subject = `propane.schedulingPolicy reuse_port (from ${sourceOf(sources, ['propane', 'schedulingPolicy'])})`;
    // Only Linux spreads new connections over the SO_REUSEPORT sockets of a port; macOS gives them all to the last one bound.
    if (platform !== 'linux') {
      gaps.push(new PropaneError('PROPANE_ERR_PLATFORM_UNSUPPORTED', `${subject} needs Linux (the kernel spreads connections over SO_REUSEPORT sockets only there); this is ${platform}. Fix: choose --scheduling-policy none or round_robin.`));
    }
    if (!supportsReusePort(version)) {
      gaps.push(nodeTooOld('reusePort', version, subject, `run propane on Node.js ${minimumNodeFor('reusePort')} or newer, or choose --scheduling-policy none or round_robin`));
    }
  }
  return gaps;
}
