import t from 'tap';
import { ConfigInput } from '../../../contracts/config.js';
import { describeIssues, knownKeysAt, nearestKey } from '../../../shared/config/diagnostics.js';
import { mergeLayer, type Raw, type Sources } from '../../../shared/config/layers.js';

for (const c of [
  { name: 'suggests the key one letter away', input: 'maxConcurentHTTPSessions', at: ['runtimeLimits'], want: 'maxConcurrentHTTPSessions' },
  { name: 'ignores case', input: 'WORKERS', at: [], want: 'workers' },
  { name: 'suggests a nested key', input: 'gracefulShutdownSecond', at: ['propane'], want: 'gracefulShutdownSeconds' },
  { name: 'suggests nothing for an unrelated word', input: 'banana', at: ['runtimeLimits'], want: undefined },
  { name: 'suggests nothing where no keys exist', input: 'x', at: ['nowhere'], want: undefined },
]) {
  t.test(`nearestKey ${c.name}`, async (t) => t.equal(nearestKey(c.input, knownKeysAt(c.at)), c.want));
}

t.test('knownKeysAt walks defaults and nested objects of the schema', async (t) => {
  t.same(knownKeysAt(['runtimeLimits']).sort(), ['maxConcurrentHTTPSessions', 'maxConcurrentWebSocketSessions']);
  t.ok(knownKeysAt([]).includes('securityProfile'));
  t.same(knownKeysAt(['propane', 'crashLoop']).sort(), ['maxBackoffSeconds', 'maxRestarts', 'stableSeconds', 'windowSeconds']);
  t.ok(knownKeysAt(['cluster', 'membership', 'etcd']).includes('endpoints'));
});

/** Parses `layers` (each [object, source]) the way loadConfig does and returns the diagnostics. */
function diagnose(...layers: Array<[Raw, string]>): Array<{ code: string; message: string }> {
  const merged: Raw = {};
  const sources: Sources = new Map();
  for (const [layer, source] of layers) mergeLayer(merged, layer, source, sources);
  const parsed = ConfigInput.safeParse(merged);
  return parsed.success ? [] : describeIssues(parsed.error.issues, merged, sources).map((e) => ({ code: e.code, message: e.message }));
}

for (const c of [
  { name: 'an unknown key says did you mean, and where it came from', layer: [{ runtimeLimits: { maxConcurentHTTPSessions: 3 } }, 'config file /x/propane.json'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_UNKNOWN_KEY',
    message: 'runtimeLimits.maxConcurentHTTPSessions is not a config key (from config file /x/propane.json); did you mean maxConcurrentHTTPSessions? Fix: rename it to runtimeLimits.maxConcurrentHTTPSessions.' },
  { name: 'an unknown key with no neighbour points at the docs', layer: [{ zebra: 1 }, 'config file f'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_UNKNOWN_KEY',
    message: 'zebra is not a config key (from config file f); Fix: remove it; see docs/configuration.md for the keys.' },
  { name: 'a value below range names key, value, source and an example', layer: [{ runtimeLimits: { maxConcurrentHTTPSessions: 0 } }, 'ARLEN_MAX_HTTP_SESSIONS'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_OUT_OF_RANGE',
    message: 'runtimeLimits.maxConcurrentHTTPSessions must be an integer >= 1; got 0 from ARLEN_MAX_HTTP_SESSIONS. Fix: set it >= 1, e.g. 256.' },
  { name: 'a value above range', layer: [{ port: 70000 }, '--port'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_OUT_OF_RANGE',
    message: 'port must be an integer <= 65535; got 70000 from --port. Fix: set it <= 65535, e.g. 3000.' },
  { name: 'a wrong type', layer: [{ timeouts: { idleSeconds: 'five' } }, 'config file f'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_TYPE',
    message: 'timeouts.idleSeconds must be of type number; got "five" from config file f. Fix: give it as number, e.g. 5.' },
  { name: 'a value outside an enum lists the choices', layer: [{ securityProfile: 'paranoid' }, 'ARLEN_SECURITY_PROFILE'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_INVALID',
    message: 'securityProfile must be one of balanced, strict, edge; got "paranoid" from ARLEN_SECURITY_PROFILE. Fix: pick one of balanced, strict, edge.' },
  { name: 'a fraction where an integer is needed', layer: [{ propane: { respawnDelayMs: 2.5 } }, '--respawn-delay-ms'] as [Raw, string], code: 'PROPANE_ERR_CONFIG_TYPE',
    message: 'propane.respawnDelayMs must be an integer; got 2.5 from --respawn-delay-ms. Fix: give it as int, e.g. 250.' },
]) {
  t.test(`describeIssues: ${c.name}`, async (t) => t.same(diagnose(c.layer), [{ code: c.code, message: c.message }]));
}

t.test('describeIssues lists every problem, not only the first', async (t) => {
  const found = diagnose([{ port: -1, workers: 0, runtimeLimits: { maxConcurentHTTPSessions: 1 } }, 'config file f']);
  t.same(found.map((f) => f.code).sort(), ['PROPANE_ERR_CONFIG_OUT_OF_RANGE', 'PROPANE_ERR_CONFIG_OUT_OF_RANGE', 'PROPANE_ERR_CONFIG_UNKNOWN_KEY']);
});

t.test('the source is the highest layer that set the value', async (t) => {
  const [found] = diagnose([{ port: 8080 }, 'config file f'], [{ port: 99999 }, 'ARLEN_PORT']);
  t.match(found!.message, /got 99999 from ARLEN_PORT/);
});
