import t from 'tap';
import { getPath, mergeLayer, setPath, sourceOf, type Raw, type Sources } from '../../../shared/config/layers.js';
import { PropaneError } from '../../../shared/errors.js';

for (const c of [
  { name: 'objects merge key by key', layers: [{ a: { x: 1, y: 2 } }, { a: { y: 3 } }], want: { a: { x: 1, y: 3 } } },
  { name: 'scalars replace', layers: [{ port: 1 }, { port: 2 }], want: { port: 2 } },
  { name: 'arrays replace, never concatenate', layers: [{ e: ['a', 'b'] }, { e: ['c'] }], want: { e: ['c'] } },
  { name: 'an object replaces a scalar', layers: [{ a: 1 }, { a: { b: 1 } }], want: { a: { b: 1 } } },
  { name: 'a scalar replaces an object', layers: [{ a: { b: 1 } }, { a: 2 }], want: { a: 2 } },
  { name: 'null is a value that replaces', layers: [{ a: 1 }, { a: null }], want: { a: null } },
]) {
  t.test(`mergeLayer: ${c.name}`, async (t) => {
    const target: Raw = {};
    const sources: Sources = new Map();
    c.layers.forEach((layer, i) => mergeLayer(target, layer, `layer ${i}`, sources));
    t.same(target, c.want);
  });
}

t.test('mergeLayer remembers the source of each leaf; sourceOf falls back to the nearest parent, then the defaults', async (t) => {
  const target: Raw = {};
  const sources: Sources = new Map();
  mergeLayer(target, { runtimeLimits: { maxConcurrentHTTPSessions: 5 } }, 'config file f', sources);
  mergeLayer(target, { runtimeLimits: { maxConcurrentWebSocketSessions: 6 } }, 'ARLEN_MAX_WEBSOCKET_SESSIONS', sources);
  t.equal(sourceOf(sources, ['runtimeLimits', 'maxConcurrentHTTPSessions']), 'config file f');
  t.equal(sourceOf(sources, ['runtimeLimits', 'maxConcurrentWebSocketSessions']), 'ARLEN_MAX_WEBSOCKET_SESSIONS');
  t.equal(sourceOf(sources, ['runtimeLimits', 'notSet']), 'ARLEN_MAX_WEBSOCKET_SESSIONS', 'the parent object was last touched by the env layer');
  t.equal(sourceOf(sources, ['port']), 'the defaults');
});

for (const key of ['__proto__', 'constructor', 'prototype']) {
  t.test(`mergeLayer refuses ${key} and leaves Object.prototype clean`, async (t) => {
    const layer = JSON.parse(`{"${key}": {"polluted": true}}`) as Raw;
    let caught: unknown;
    try {
      mergeLayer({}, layer, 'config file f', new Map());
    } catch (err) {
      caught = err;
    }
    t.ok(caught instanceof PropaneError && caught.code === 'PROPANE_ERR_CONFIG_UNKNOWN_KEY', String(caught));
    t.equal(({} as Record<string, unknown>).polluted, undefined);
  });
}

t.test('getPath and setPath address nested keys and array items', async (t) => {
  const obj: Raw = {};
  setPath(obj, ['cluster', 'membership', 'source'], 'etcd');
  t.same(obj, { cluster: { membership: { source: 'etcd' } } });
  t.equal(getPath(obj, ['cluster', 'membership', 'source']), 'etcd');
  t.equal(getPath({ e: ['a', 'b'] }, ['e', '1']), 'b');
  t.equal(getPath(obj, ['cluster', 'missing', 'deeper']), undefined);
  t.equal(getPath(5, ['a']), undefined);
});
