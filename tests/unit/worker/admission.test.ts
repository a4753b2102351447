import t from 'tap';
import type { WorkerToSupervisor } from '../../../contracts/ipc.js';
import { leasePolicy } from '../../../shared/lease-policy.js';
import { Admission } from '../../../worker/admission.js';

/** An Admission whose IPC is a list we read: the supervisor side is played by the test. */
function setup(limit = 256, workers = 2): { adm: Admission; sent: WorkerToSupervisor[]; verdicts: boolean[]; later: (ok: boolean) => void } {
  const sent: WorkerToSupervisor[] = [];
  const verdicts: boolean[] = [];
  const adm = new Admission('http', leasePolicy(limit, workers), (m) => sent.push(m));
  return { adm, sent, verdicts, later: (ok) => verdicts.push(ok) };
}

t.test('the first session waits for a lease asking need 1 plus a batch', async (t) => {
  const { adm, sent, verdicts, later } = setup();
  t.equal(adm.admit(later), false);
  t.same(sent, [{ type: 'lease_request', schema_version: 1, kind: 'http', seq: 1, need: 1, want: 32 }]);
  adm.onGrant(1, 33);
  t.same(verdicts, [true]);
  t.same({ granted: adm.account.granted, inUse: adm.account.inUse }, { granted: 33, inUse: 1 });
});

t.test('with free permits a session is admitted at once, with no IPC', async (t) => {
  const { adm, sent, later } = setup();
  adm.admit(later);
  adm.onGrant(1, 33);
  sent.length = 0;
  for (let i = 0; i < 24; i++) t.equal(adm.admit(later), true);
  t.same(sent, [], 'no message while free permits stay at or above lowWater (8)');
  t.equal(adm.admit(later), true);
  t.same(sent, [{ type: 'lease_request', schema_version: 1, kind: 'http', seq: 2, need: 0, want: 32 }], 'running low asks ahead, for nobody waiting');
  t.equal(adm.admit(later), true, 'one request in flight at a time');
  t.equal(sent.length, 1);
});

t.test('a grant of 0 refuses the sessions waiting on it', async (t) => {
  const { adm, verdicts, later } = setup();
  adm.admit(later);
  adm.admit(later);
  adm.onGrant(1, 0);
  t.same(verdicts, [false]);
  t.equal(adm.account.granted, 0);
});

t.test('sessions arriving during a request wait for the next request', async (t) => {
  const { adm, sent, verdicts, later } = setup(12, 4);
  adm.admit(later);
  adm.admit(later);
  adm.admit(later);
  t.equal(sent.length, 1, 'one request in flight');
  adm.onGrant(1, 2);
  t.same(verdicts, [true, true], 'the grant covers the waiter and one queued session');
  t.same(sent[1], { type: 'lease_request', schema_version: 1, kind: 'http', seq: 2, need: 1, want: 1 });
  adm.onGrant(2, 0);
  t.same(verdicts, [true, true, false]);
});

t.test('a released permit goes straight to a waiting session', async (t) => {
  const { adm, sent, verdicts, later } = setup(12, 4);
  adm.admit(later);
  adm.onGrant(1, 1);
  t.equal(adm.admit(later), false);
  adm.release();
  t.same(verdicts, [true, true]);
  t.equal(adm.account.inUse, 1);
  adm.onGrant(2, 1);
  t.equal(adm.account.granted, 2, 'the late grant is kept as a free permit');
  t.equal(sent.filter((m) => m.type === 'lease_request').length, 2);
});

t.test('surplus above highWater goes back unasked', async (t) => {
  const { adm, sent, later } = setup(12, 4);
  adm.admit(later);
  adm.onGrant(1, 4);
  for (let i = 0; i < 3; i++) adm.admit(later);
  sent.length = 0;
  adm.release();
  t.same(sent, [], 'one free permit is below highWater (2)');
  adm.release();
  adm.release();
  t.same(sent, [{ type: 'lease_return', schema_version: 1, kind: 'http', seq: 0, count: 1 }]);
  t.same({ granted: adm.account.granted, inUse: adm.account.inUse }, { granted: 3, inUse: 1 });
});

t.test('a reclaim hands back every free permit and keeps those in use', async (t) => {
  const { adm, sent, later } = setup();
  adm.admit(later);
  adm.onGrant(1, 10);
  adm.admit(later);
  sent.length = 0;
  adm.onReclaim(7);
  t.same(sent, [{ type: 'lease_return', schema_version: 1, kind: 'http', seq: 7, count: 8 }]);
  t.same({ granted: adm.account.granted, inUse: adm.account.inUse }, { granted: 2, inUse: 2 });
  sent.length = 0;
  adm.onReclaim(8);
  t.same(sent, [{ type: 'lease_return', schema_version: 1, kind: 'http', seq: 8, count: 0 }], 'answers even with nothing to give, so the round ends');
});


/** A worker with `inUse` sessions on a lease of `granted`, told the node is full (generation 1). */
function full(granted: number, inUse: number) {
  const s = setup(12, 4);
  s.adm.admit(s.later);
  s.adm.onGrant(1, granted);
  for (let i = 1; i < inUse; i++) s.adm.admit(s.later);
  s.adm.onLimitReached(1, true);
  s.sent.length = 0;
  s.verdicts.length = 0;
  return s;
}

t.test('while the node is full, a session with no free permit is refused at once and nothing is sent', async (t) => {
  const { adm, sent, verdicts, later } = full(2, 2);
  for (let i = 0; i < 5; i++) t.equal(adm.admit(later), false);
  t.same(verdicts, [false, false, false, false, false], 'each verdict came before admit returned');
  t.same(sent, [], 'no lease_request');
});

t.test('hearing that the node is full hands back the permits freed since the reclaim round', async (t) => {
  const { adm, sent, later } = setup(12, 4);
  adm.admit(later);
  adm.onGrant(1, 2);
  adm.release();
  sent.length = 0;
  adm.onLimitReached(1, true);
  t.same(sent, [{ type: 'lease_return', schema_version: 1, kind: 'http', seq: 0, count: 2 }]);
  t.same({ granted: adm.account.granted, inUse: adm.account.inUse }, { granted: 0, inUse: 0 });
});

t.test('a release while the node is full goes back to the pool, whatever highWater says', async (t) => {
  const { adm, sent } = full(2, 2);
  adm.release();
  t.same(sent, [{ type: 'lease_return', schema_version: 1, kind: 'http', seq: 0, count: 1 }]);
  t.equal(adm.account.free, 0);
});

t.test('the lift ends local refusals: the next session without a permit asks again', async (t) => {
  const { adm, sent, verdicts, later } = full(2, 2);
  adm.onLimitReached(2, false);
  t.equal(adm.admit(later), false);
  t.same(verdicts, [], 'waiting, not refused');
  t.same(sent, [{ type: 'lease_request', schema_version: 1, kind: 'http', seq: 2, need: 1, want: 1 }]);
  adm.onGrant(2, 1);
  t.same(verdicts, [true]);
});

t.test('a stale push changes nothing: an older "full" cannot undo a newer lift', async (t) => {
  const { adm, verdicts, later } = full(2, 2);
  adm.onLimitReached(3, false);
  adm.onLimitReached(1, true);
  adm.onLimitReached(3, true);
  t.equal(adm.limit.reached, false);
  adm.admit(later);
  t.same(verdicts, [], 'the session waits for an answer instead of being refused');
});

t.test('sessions queued behind an answer that came short are refused once the node is full, without asking again', async (t) => {
  const { adm, sent, verdicts, later } = setup(12, 4);
  adm.admit(later);
  adm.admit(later);
  adm.admit(later);
  adm.onLimitReached(1, true);
  adm.onGrant(1, 0);
  t.same(verdicts, [false, false, false]);
  t.equal(sent.filter((m) => m.type === 'lease_request').length, 1);
});

