import type { IKeyValue } from 'etcd3';
import t from 'tap';
import { nodesPrefix, type Registration } from '../../../supervisor/membership/roster.js';
import { WatchedRoster } from '../../../supervisor/membership/watched-roster.js';
import { logSink } from '../../helpers/log-sink.js';

const PREFIX = nodesPrefix('/propane/', 'prod');
const reg = (nodeId: string, ready: boolean): Registration => ({ node_id: nodeId, host: '10.0.0.1', port: 3000, pid: 100, version: '0.1.0', ready, started_at: '2026-01-01T00:00:00.000Z' });
const kv = (nodeId: string, value: string, revision: number): IKeyValue =>
  ({ key: Buffer.from(`${PREFIX}${nodeId}`), value: Buffer.from(value), mod_revision: String(revision) }) as IKeyValue;
const put = (r: Registration, revision: number): IKeyValue => kv(r.node_id, JSON.stringify(r), revision);

t.test('a full read sets the members and the revision; a change is counted and logged once', async (t) => {
  const { log, lines } = logSink();
  const roster = new WatchedRoster(PREFIX, log);
  roster.replace([put(reg('b', true), 3), put(reg('a', false), 4)], 7n);
  t.equal(roster.revision, 7n);
  t.equal(roster.refresh(true), true);
  t.same(roster.members.map((m) => [m.node_id, m.ready]), [['a', false], ['b', true]]);
  t.equal(roster.changes, 1);
  t.type(roster.lastChangeAt, 'string');
  t.equal(roster.refresh(true), false, 'nothing new: no change');
  t.equal(roster.changes, 1);
  t.same(lines.map((l) => [l.event, l.observed_nodes]), [['membership_changed', 1]]);
});

t.test('a watched event older than the last full read is ignored', async (t) => {
  const { log } = logSink();
  const roster = new WatchedRoster(PREFIX, log);
  roster.replace([put(reg('a', true), 3)], 10n);
  t.equal(roster.applyWatched(put(reg('b', true), 9), 'put'), false);
  t.equal(roster.applyWatched(put(reg('b', true), 11), 'put'), true);
  t.equal(roster.revision, 11n);
  t.equal(roster.applyWatched(put(reg('b', true), 12), 'delete'), true);
  roster.refresh(true);
  t.same(roster.members.map((m) => m.node_id), ['a']);
});

t.test('without the store nobody is a member, and the view says it changed', async (t) => {
  const { log } = logSink();
  const roster = new WatchedRoster(PREFIX, log);
  roster.replace([put(reg('a', true), 3)], 3n);
  roster.refresh(true);
  t.equal(roster.refresh(false), true);
  t.same(roster.members, []);
  t.equal(roster.changes, 2, 'a leaves the members');
  roster.clear();
  t.equal(roster.refresh(true), true, 'connected again with nothing read yet: a new view');
  t.equal(roster.changes, 2, 'but the same members, so no membership change');
});

t.test('garbage under the prefix is never a member and is logged once per key', async (t) => {
  const { log, lines } = logSink();
  const roster = new WatchedRoster(PREFIX, log);
  roster.replace([kv('x', 'not json', 2), put(reg('a', true), 3)], 3n);
  roster.applyWatched(kv('x', 'still not json', 4), 'put');
  roster.refresh(true);
  t.same(roster.members.map((m) => m.node_id), ['a']);
  const garbage = lines.filter((l) => l.event === 'membership_garbage');
  t.equal(garbage.length, 1);
  t.match(garbage[0], { key: `${PREFIX}x`, value_bytes: 8 });
});
