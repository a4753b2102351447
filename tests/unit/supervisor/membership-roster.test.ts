import t from 'tap';
import { isSameProcess, isStoreLost, nodeKey, nodesPrefix, parseRegistration, viewRoster, type Registration } from '../../../supervisor/membership/roster.js';

const PREFIX = nodesPrefix('/propane/', 'prod');
const reg = (nodeId: string, ready: boolean, extra: Partial<Registration> = {}): Registration => ({
  node_id: nodeId, host: '10.0.0.1', port: 3000, pid: 100, version: '0.1.0', ready, started_at: '2026-01-01T00:00:00.000Z', ...extra,
});

t.test('keys follow <prefix><cluster.name>/nodes/<nodeId>', async (t) => {
  t.equal(PREFIX, '/propane/prod/nodes/');
  t.equal(nodeKey('/propane/', 'prod', 'web-1'), '/propane/prod/nodes/web-1');
});

for (const c of [
  { name: 'accepts our JSON under its own key', key: `${PREFIX}a`, value: JSON.stringify(reg('a', true)), ok: true },
  { name: 'ignores extra fields a newer version may add', key: `${PREFIX}a`, value: JSON.stringify({ ...reg('a', true), zone: 'eu-1' }), ok: true },
  { name: 'refuses a value that is not JSON', key: `${PREFIX}a`, value: 'not json', ok: false },
  { name: 'refuses JSON of another shape', key: `${PREFIX}a`, value: '{"node_id":"a","ready":true}', ok: false },
  { name: 'refuses a ready that is not a boolean', key: `${PREFIX}a`, value: JSON.stringify({ ...reg('a', true), ready: 'yes' }), ok: false },
  { name: 'refuses a registration naming another node than its key', key: `${PREFIX}a`, value: JSON.stringify(reg('b', true)), ok: false },
  { name: 'refuses a JSON array', key: `${PREFIX}a`, value: '[]', ok: false },
  { name: 'refuses the empty value', key: `${PREFIX}a`, value: '', ok: false },
]) {
  t.test(`parseRegistration ${c.name}`, async (t) => t.equal(parseRegistration(c.key, c.value, PREFIX) !== null, c.ok));
}

for (const c of [
  { name: 'counts nobody in an empty store', regs: [], observed: 0, order: [] },
  { name: 'counts only ready registrations', regs: [reg('a', true), reg('b', false), reg('c', true)], observed: 2, order: ['a', 'b', 'c'] },
  { name: 'sorts members by node_id', regs: [reg('web-2', true), reg('api', true), reg('web-10', true)], observed: 3, order: ['api', 'web-10', 'web-2'] },
]) {
  t.test(`viewRoster ${c.name}`, async (t) => {
    const view = viewRoster(c.regs);
    t.equal(view.observedNodes, c.observed);
    t.same(view.members.map((m) => m.node_id), c.order);
    for (const m of view.members) t.same(Object.keys(m), ['node_id', 'host', 'port', 'ready'], 'members carry node_id, host, port, ready only');
  });
}

for (const c of [
  { name: 'the same process after its store came back', a: reg('a', true), b: reg('a', false), same: true },
  { name: 'another pid', a: reg('a', true), b: reg('a', true, { pid: 101 }), same: false },
  { name: 'another host with the same pid', a: reg('a', true), b: reg('a', true, { host: '10.0.0.2' }), same: false },
  { name: 'a restart of the same pid number', a: reg('a', true), b: reg('a', true, { started_at: '2026-01-02T00:00:00.000Z' }), same: false },
]) {
  t.test(`isSameProcess: ${c.name}`, async (t) => t.equal(isSameProcess(c.a, c.b), c.same));
}

for (const c of [
  { name: 'not lost while an answer is younger than leaseSeconds', lastMs: 1_000, nowMs: 3_000, lease: 2, lost: false },
  { name: 'lost once no answer came for longer than leaseSeconds', lastMs: 1_000, nowMs: 3_001, lease: 2, lost: true },
  { name: 'scales with leaseSeconds', lastMs: 0, nowMs: 30_000, lease: 60, lost: false },
]) {
  t.test(`isStoreLost ${c.name}`, async (t) => t.equal(isStoreLost(c.lastMs, c.nowMs, c.lease), c.lost));
}
