import t from 'tap';
import type { SupervisorToWorker } from '../../../contracts/ipc.js';
import { leasePolicy } from '../../../shared/lease-policy.js';
import { AdmissionBroker, RECLAIM_TIMEOUT_MS } from '../../../supervisor/admission-broker.js';
import { Admission } from '../../../worker/admission.js';

/**
 * The real broker and real worker-side Admissions, joined by an in-memory
 * channel that delivers each message on a later tick, as IPC does. A worker
 * can be marked hung (it stops reading) or dead (the broker forgets it).
 */
function node(limit: number, workers: number) {
  const alive = new Set<number>();
  const hung = new Set<number>();
  const adms = new Map<number, Admission>();
  const broker = new AdmissionBroker({ http: limit, websocket: limit }, (w, msg) => setImmediate(() => deliver(w, msg)), (w) => alive.has(w));
  function deliver(w: number, msg: SupervisorToWorker): void {
    const adm = adms.get(w);
    if (!adm || !alive.has(w) || hung.has(w)) return;
    if (msg.type === 'lease_grant') adm.onGrant(msg.seq, msg.count);
    else if (msg.type === 'lease_reclaim') adm.onReclaim(msg.seq);
  }
  function add(w: number): Admission {
    alive.add(w);
    const adm = new Admission('http', leasePolicy(limit, workers), (msg) =>
      setImmediate(() => {
        if (!alive.has(w)) return;
        if (msg.type === 'lease_request') broker.onRequest(w, msg);
        else if (msg.type === 'lease_return') broker.onReturn(w, msg);
      }),
    );
    adms.set(w, adm);
    return adm;
  }
  for (let w = 1; w <= workers; w++) add(w);
  /** Admits one session on worker w and resolves with the verdict. */
  const admit = (w: number): Promise<boolean> => new Promise((resolve) => (adms.get(w)!.admit(resolve) ? resolve(true) : undefined));
  const kill = (w: number): void => {
    alive.delete(w);
    broker.forget(w);
  };
  const inUse = (): number => [...adms].filter(([w]) => alive.has(w)).reduce((n, [, a]) => n + a.account.inUse, 0);
  return { broker, adms, hung, add, admit, kill, inUse, ledger: broker.ledgers.http };
}

t.test('a session is admitted whichever worker it lands on while the node is below its limit', async (t) => {
  const n = node(12, 4);
  const verdicts: boolean[] = [];
  for (let i = 0; i < 12; i++) verdicts.push(await n.admit((i % 4) + 1));
  t.same(verdicts, Array(12).fill(true));
  t.equal(n.ledger.leased, 12);
  for (let w = 1; w <= 4; w++) t.equal(await n.admit(w), false, `worker ${w} refuses the 13th session`);
  t.equal(n.inUse(), 12);
});

t.test('idle permits on one worker are reclaimed before another refuses', async (t) => {
  const n = node(10, 2);
  for (let i = 0; i < 10; i++) t.equal(await n.admit(1), true);
  for (let i = 0; i < 10; i++) n.adms.get(1)!.release();
  t.ok(n.ledger.heldBy(1) > 0, 'worker 1 still holds idle permits');
  const verdicts: boolean[] = [];
  for (let i = 0; i < 10; i++) verdicts.push(await n.admit(2));
  t.same(verdicts, Array(10).fill(true), 'worker 2 gets all 10');
  t.equal(n.ledger.heldBy(2), 10);
  t.equal(n.ledger.heldBy(1), 0);
});

t.test('a hung worker cannot stall admission past the reclaim bound, and keeps what it holds counted', async (t) => {
  const n = node(4, 2);
  t.equal(await n.admit(1), true);
  n.adms.get(1)!.release();
  const idleOnHung = n.ledger.heldBy(1);
  t.ok(idleOnHung > 0);
  n.hung.add(1);
  const verdicts: boolean[] = [];
  for (let i = 0; i < 4 - idleOnHung; i++) verdicts.push(await n.admit(2));
  t.same(verdicts, Array(4 - idleOnHung).fill(true), 'the free pool is served');
  const started = Date.now();
  t.equal(await n.admit(2), false, 'the hung worker\'s permits are not given away');
  t.ok(Date.now() - started >= RECLAIM_TIMEOUT_MS - 20, 'the refusal waited for the reclaim bound');
  t.equal(n.ledger.leased, 4);
});

t.test('a dead worker returns everything at once and its permits serve the others', async (t) => {
  const n = node(6, 2);
  for (let i = 0; i < 6; i++) t.equal(await n.admit(1), true);
  t.equal(await n.admit(2), false);
  n.kill(1);
  t.equal(n.ledger.leased, 0);
  const verdicts: boolean[] = [];
  for (let i = 0; i < 6; i++) verdicts.push(await n.admit(2));
  t.same(verdicts, Array(6).fill(true));
  n.add(3);
  t.equal(await n.admit(3), false, 'a respawned worker starts with nothing and double-counts nothing');
  t.equal(n.ledger.leased, 6);
});

t.test('a worker that dies during a reclaim round ends the round at once', async (t) => {
  const n = node(2, 2);
  t.equal(await n.admit(1), true);
  t.equal(await n.admit(1), true);
  n.hung.add(1);
  const verdict = n.admit(2);
  await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  n.kill(1);
  t.equal(await verdict, true, 'the dead worker\'s permits admit the waiting session');
  t.ok(Date.now() - started < RECLAIM_TIMEOUT_MS, 'without waiting out the reclaim bound');
});

t.test('no grant is made to a worker that died with a request queued', async (t) => {
  const n = node(4, 2);
  const verdict = n.admit(1);
  n.kill(1);
  t.equal(await Promise.race([verdict, new Promise((r) => setTimeout(() => r('none'), 100))]), 'none');
  t.equal(n.ledger.leased, 0);
});
