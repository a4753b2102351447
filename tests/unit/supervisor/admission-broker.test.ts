import t from 'tap';
import type { SupervisorToWorker, WorkerToSupervisor } from '../../../contracts/ipc.js';
import { leasePolicy } from '../../../shared/lease-policy.js';
import type { Logger } from '../../../shared/log.js';
import { AdmissionBroker, RECLAIM_TIMEOUT_MS, type BrokerWorker } from '../../../supervisor/admission-broker.js';
import { Admission } from '../../../worker/admission.js';

const quiet: Logger = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, trace() {}, child: () => quiet, isLevelEnabled: () => false };

/**
 * The real broker and real worker-side Admissions, joined by an in-memory
 * channel that delivers each message on a later tick, as IPC does. A worker
 * can be marked hung (it stops reading) or dead (the broker forgets it).
 * `sent` counts what each worker sent, by type.
 */
function node(limit: number, workers: number) {
  const alive = new Set<number>();
  const hung = new Set<number>();
  const adms = new Map<number, Admission>();
  const sent = new Map<number, Record<string, number>>();
  const endpoint = (w: number): BrokerWorker => ({ id: w, pid: 1000 + w, isAlive: alive.has(w), send: (msg) => setImmediate(() => deliver(w, msg)) });
  const broker = new AdmissionBroker({ http: limit, websocket: limit }, { get: (w) => (adms.has(w) ? endpoint(w) : undefined), workers: () => [...adms.keys()].map(endpoint) }, quiet);
  function deliver(w: number, msg: SupervisorToWorker): void {
    const adm = adms.get(w);
    if (!adm || !alive.has(w) || hung.has(w)) return;
    if (msg.type === 'lease_grant') adm.onGrant(msg.seq, msg.count);
    else if (msg.type === 'lease_reclaim') adm.onReclaim(msg.seq);
    else if (msg.type === 'limit_reached') adm.onLimitReached(msg.generation, msg.reached);
  }
  function add(w: number): Admission {
    alive.add(w);
    sent.set(w, {});
    const adm = new Admission('http', leasePolicy(limit, workers), (msg: WorkerToSupervisor) =>
      setImmediate(() => {
        if (!alive.has(w)) return;
        sent.get(w)![msg.type] = (sent.get(w)![msg.type] ?? 0) + 1;
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
  return { broker, adms, hung, sent, add, admit, kill, inUse, ledger: broker.ledgers.http };
}

/** One delivery of the in-memory channel: a push sent before this has reached every worker. */
const pushed = (): Promise<void> => new Promise((r) => setImmediate(r));

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
  t.equal(n.ledger.reached, false, 'the death lifted the full node');
  await pushed();
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

/** Waits (bounded) until `done` holds, one channel delivery at a time. */
async function settled(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !done(); i++) await pushed();
  return done();
}

t.test('once the node is full, every worker refuses on its own: no lease_request for a refused session', async (t) => {
  const n = node(4, 2);
  for (const w of [1, 1, 2, 2]) t.equal(await n.admit(w), true);
  t.equal(await n.admit(1), false, 'the first refusal asks, and the round comes back empty');
  t.equal(n.ledger.reached, true);
  t.ok(await settled(() => n.adms.get(2)!.limit.reached), 'the push reached the other worker');
  const asked = { 1: n.sent.get(1)!.lease_request, 2: n.sent.get(2)!.lease_request };
  const verdicts: boolean[] = [];
  for (let i = 0; i < 20; i++) verdicts.push(await n.admit((i % 2) + 1));
  await pushed();
  t.same(verdicts, Array(20).fill(false));
  t.same({ 1: n.sent.get(1)!.lease_request, 2: n.sent.get(2)!.lease_request }, asked, 'neither worker sent a lease_request');
  t.equal(n.inUse(), 4);
});

t.test('a release on one worker lifts the full node, and a session landing on another is admitted once the push arrived', async (t) => {
  const n = node(4, 2);
  for (const w of [1, 1, 2, 2]) t.equal(await n.admit(w), true);
  t.equal(await n.admit(2), false);
  t.ok(await settled(() => n.adms.get(1)!.limit.reached && n.adms.get(2)!.limit.reached));
  n.adms.get(1)!.release();
  t.ok(await settled(() => !n.adms.get(2)!.limit.reached), 'worker 2 heard the lift');
  t.equal(n.ledger.reached, false);
  t.equal(await n.admit(2), true, 'the permit freed on worker 1 admits a session on worker 2');
  t.equal(n.ledger.heldBy(2), 3);
  t.equal(await n.admit(1), false, 'and the node is full again');
  t.equal(n.inUse(), 4);
  t.ok(n.ledger.leased <= 4);
});

t.test('a worker started while the node was full learns it from its first short answer and asks no more', async (t) => {
  const n = node(2, 2);
  for (const w of [1, 2]) t.equal(await n.admit(w), true);
  t.equal(await n.admit(1), false);
  n.add(3);
  t.equal(await n.admit(3), false);
  t.equal(n.adms.get(3)!.limit.reached, true);
  t.equal(await n.admit(3), false);
  await pushed();
  t.equal(n.sent.get(3)!.lease_request, 1, 'one request, the first');
});

t.test('a limit lowered below what the workers hold takes their free permits back: no new session over the new limit', async (t) => {
  const n = node(100, 2);
  t.equal(await n.admit(1), true);
  t.equal(await n.admit(2), true);
  t.ok(n.adms.get(1)!.account.free > 3 && n.adms.get(2)!.account.free > 3, 'each worker holds free permits beyond the coming limit');
  n.broker.setLimits({ http: 4, websocket: 4 });
  await pushed();
  await pushed();
  t.equal(n.ledger.leased, 2, 'every free permit went back: only the two in use stay leased');
  const verdicts: boolean[] = [];
  for (let i = 0; i < 6; i++) verdicts.push(await n.admit((i % 2) + 1));
  t.equal(verdicts.filter(Boolean).length, 2, 'two more sessions reach the new limit of 4; the rest are refused');
  t.equal(n.inUse(), 4);
  t.ok(n.ledger.leased <= 4);
});

t.test('a limit lowered below the sessions in use keeps them and admits nothing new until they end', async (t) => {
  const n = node(100, 2);
  for (let i = 0; i < 6; i++) t.equal(await n.admit((i % 2) + 1), true);
  n.broker.setLimits({ http: 4, websocket: 4 });
  await pushed();
  await pushed();
  t.equal(n.ledger.leased, 6, 'the six in use stay leased, over the new limit');
  t.equal(await n.admit(1), false);
  t.equal(await n.admit(2), false);
  for (let i = 0; i < 3; i++) n.adms.get(1)!.release();
  for (let i = 0; i < 3; i++) n.adms.get(2)!.release();
  await pushed();
  await pushed();
  const verdicts: boolean[] = [];
  for (let i = 0; i < 6; i++) verdicts.push(await n.admit((i % 2) + 1));
  t.equal(verdicts.filter(Boolean).length, 4, 'once they ended, the new limit of 4 is served, no more');
  t.equal(n.inUse(), 4);
});
