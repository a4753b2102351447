import t from 'tap';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../../shared/config/load.js';
import { findNodeGaps, isTypeScriptApp, minimumNodeFor, supportsReusePort, supportsTypeStripping } from '../../../shared/node-support.js';

for (const c of [
  { name: 'Node 20 has neither', version: 'v20.20.2', typeStripping: false, reusePort: false },
  { name: '22.11 has neither', version: 'v22.11.0', typeStripping: false, reusePort: false },
  { name: '22.12 has reusePort, not type stripping', version: 'v22.12.0', typeStripping: false, reusePort: true },
  { name: '22.17 still lacks type stripping', version: 'v22.17.1', typeStripping: false, reusePort: true },
  { name: '22.18 has both', version: 'v22.18.0', typeStripping: true, reusePort: true },
  { name: 'the pinned 22 has both', version: 'v22.23.5', typeStripping: true, reusePort: true },
  { name: '23.0 has neither (both came in later 23 releases)', version: 'v23.0.0', typeStripping: false, reusePort: false },
  { name: '23.1 has reusePort', version: 'v23.1.0', typeStripping: false, reusePort: true },
  { name: '23.6 has both', version: 'v23.6.0', typeStripping: true, reusePort: true },
  { name: 'every 24 has both', version: 'v24.0.0', typeStripping: true, reusePort: true },
  { name: 'every 26 has both', version: 'v26.12.1', typeStripping: true, reusePort: true },
  { name: 'a future line has both', version: 'v30.1.0', typeStripping: true, reusePort: true },
  { name: 'a version without the leading v reads the same', version: '22.18.0', typeStripping: true, reusePort: true },
  { name: 'a pre-release reads as its line', version: 'v27.0.0-nightly20260101abcdef', typeStripping: true, reusePort: true },
  { name: 'an unparseable version supports nothing', version: 'unknown', typeStripping: false, reusePort: false },
  { name: 'an older major with a high minor supports nothing', version: 'v18.99.0', typeStripping: false, reusePort: false },
]) {
  t.test(c.name, async (t) => {
    t.equal(supportsTypeStripping(c.version), c.typeStripping, 'type stripping');
    t.equal(supportsReusePort(c.version), c.reusePort, 'reusePort');
  });
}

t.test('messages name the first release of the oldest line that has the feature', async (t) => {
  t.equal(minimumNodeFor('typeStripping'), '22.18');
  t.equal(minimumNodeFor('reusePort'), '22.12');
});

for (const c of [
  { path: '/srv/app.ts', want: true },
  { path: '/srv/app.mts', want: true },
  { path: '/srv/app.cts', want: true },
  { path: '/srv/app.js', want: false },
  { path: '/srv/app.mjs', want: false },
  { path: '/srv/app.tsx', want: false },
  { path: '/srv/ts/app.cjs', want: false },
]) {
  t.test(`${c.path} is ${c.want ? '' : 'not '}a TypeScript app`, async (t) => t.equal(isTypeScriptApp(c.path), c.want));
}

const base = loadConfig({ cwd: tmpdir(), env: {}, flags: {} }).config;
/** The loaded defaults with `app` given as the app argument (loadConfig itself would check against this very Node). */
const loaded = (app: string | undefined) => ({ config: { ...base, app: app ?? null }, sources: new Map(app ? [['app', 'the app argument']] : []) });

t.test('a .ts app on a Node without type stripping is one PROPANE_ERR_NODE_TOO_OLD naming both versions, the app and its source', async (t) => {
  const { config, sources } = loaded('/srv/app.ts');
  const gaps = findNodeGaps(config, sources, 'v20.20.2', 'linux');
  t.same(
    gaps.map((e) => [e.code, e.exitCode, e.message]),
    [['PROPANE_ERR_NODE_TOO_OLD', 2, 'the TypeScript app /srv/app.ts (from the app argument) needs Node.js 22.18 or newer (built-in TypeScript type stripping); this is Node.js v20.20.2. Fix: run propane on Node.js 22.18 or newer, or compile the app to JavaScript and start the .js file.']],
  );
});

for (const c of [
  { name: 'a .ts app on 22.18', app: '/srv/app.ts', version: 'v22.18.0' },
  { name: 'a .js app on Node 20', app: '/srv/app.js', version: 'v20.20.2' },
  { name: 'the embedded app on Node 20', app: undefined, version: 'v20.20.2' },
]) {
  t.test(`${c.name} needs nothing missing`, async (t) => {
    const { config, sources } = loaded(c.app);
    t.same(findNodeGaps(config, sources, c.version, 'linux'), []);
  });
}

/** The loaded defaults with propane.schedulingPolicy given as a flag. */
const policy = (schedulingPolicy: 'none' | 'round_robin' | 'reuse_port') => ({
  config: { ...base, propane: { ...base.propane, schedulingPolicy } },
  sources: new Map([['propane.schedulingPolicy', '--scheduling-policy']]),
});

for (const c of [
  {
    name: 'reuse_port on Node 20 is PROPANE_ERR_NODE_TOO_OLD naming 22.12 and the flag',
    version: 'v20.20.2',
    platform: 'linux',
    want: [['PROPANE_ERR_NODE_TOO_OLD', 2, 'propane.schedulingPolicy reuse_port (from --scheduling-policy) needs Node.js 22.12 or newer (SO_REUSEPORT listeners); this is Node.js v20.20.2. Fix: run propane on Node.js 22.12 or newer, or choose --scheduling-policy none or round_robin.']],
  },
  {
    name: 'reuse_port on 22.11 is too old as well',
    version: 'v22.11.0',
    platform: 'linux',
    want: [['PROPANE_ERR_NODE_TOO_OLD', 2, 'propane.schedulingPolicy reuse_port (from --scheduling-policy) needs Node.js 22.12 or newer (SO_REUSEPORT listeners); this is Node.js v22.11.0. Fix: run propane on Node.js 22.12 or newer, or choose --scheduling-policy none or round_robin.']],
  },
  {
    name: 'reuse_port off Linux is PROPANE_ERR_PLATFORM_UNSUPPORTED naming the platform',
    version: 'v24.22.3',
    platform: 'darwin',
    want: [['PROPANE_ERR_PLATFORM_UNSUPPORTED', 2, 'propane.schedulingPolicy reuse_port (from --scheduling-policy) needs Linux (the kernel spreads connections over SO_REUSEPORT sockets only there); this is darwin. Fix: choose --scheduling-policy none or round_robin.']],
  },
  { name: 'reuse_port off Linux on Node 20 reports both', version: 'v20.20.2', platform: 'win32', want: ['PROPANE_ERR_PLATFORM_UNSUPPORTED', 'PROPANE_ERR_NODE_TOO_OLD'] },
]) {
  t.test(c.name, async (t) => {
    const { config, sources } = policy('reuse_port');
    const gaps = findNodeGaps(config, sources, c.version, c.platform);
    if (typeof c.want[0] === 'string') t.same(gaps.map((e) => e.code), c.want);
    else t.same(gaps.map((e) => [e.code, e.exitCode, e.message]), c.want);
  });
}

for (const c of [
  { name: 'reuse_port on 22.12 on Linux', p: 'reuse_port', version: 'v22.12.0', platform: 'linux' },
  { name: 'reuse_port on 26 on Linux', p: 'reuse_port', version: 'v26.12.1', platform: 'linux' },
  { name: 'none on Node 20 off Linux', p: 'none', version: 'v20.20.2', platform: 'darwin' },
  { name: 'round_robin on Node 20', p: 'round_robin', version: 'v20.20.2', platform: 'linux' },
] as const) {
  t.test(`${c.name} needs nothing missing`, async (t) => {
    const { config, sources } = policy(c.p);
    t.same(findNodeGaps(config, sources, c.version, c.platform), []);
  });
}
