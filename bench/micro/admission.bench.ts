import { strict as assert } from 'node:assert';
import { Bench } from 'tinybench';
import type { WorkerToSupervisor } from '../../contracts/ipc.js';
import { LeaseAccount, leasePolicy } from '../../shared/lease-policy.js';
import { Ledger } from '../../supervisor/ledger.js';
import { Admission } from '../../worker/admission.js';

/**
 * Micro-costs of the admission decision (docs/session-limits.md): what a
 * worker pays per session on the hot path (no IPC), and the supervisor per
 * lease. Each task runs OPS operations so timer resolution does not
 * dominate; results are checked before anything is timed. Like every
 * benchmark it takes the load lock (/tmp/propane-load.lock) itself, and it
 * also runs under a `flock /tmp/propane-load.lock ...` that holds it already:
 *
 *   node dist/bench/micro/admission.bench.js
 *   flock /tmp/propane-load.lock node dist/bench/micro/admission.bench.js
 */
const OPS = 1000;
const sent: WorkerToSupervisor[] = [];
const never = (): void => assert.fail('the hot path must not wait');

// A worker holding a healthy lease: default limit 256 on 2 workers.
const admission = new Admission('http', leasePolicy(256, 2), (m) => sent.push(m));
let first = false;
admission.admit((ok) => (first = ok));
admission.onGrant(1, 33);
assert.equal(first, true, 'the first session waits for the lease and gets in');
admission.release();
sent.length = 0;

function admitRelease(): void {
  for (let i = 0; i < OPS; i++) {
    if (!admission.admit(never)) assert.fail('admit must decide at once');
    admission.release();
  }
}
admitRelease();
assert.equal(sent.length, 0, 'no IPC while the lease covers the sessions');
assert.equal(admission.account.inUse, 0);

const account = new LeaseAccount();
account.grant(10);
function acquireRelease(): void {
  for (let i = 0; i < OPS; i++) {
    account.tryAcquire();
    account.release();
  }
}
acquireRelease();
assert.equal(account.inUse, 0);

const ledger = new Ledger('http', 256);
function grantGiveBack(): void {
  for (let i = 0; i < OPS; i++) {
    if (ledger.grant(i & 7, 32) !== 32) assert.fail('grant must fill from a free pool');
    ledger.giveBack(i & 7, 32);
  }
}
grantGiveBack();
assert.equal(ledger.leased, 0);

const bench = new Bench({ time: 1000, warmupTime: 200 });
bench.add('Admission.admit + release (lease covers it, no IPC)', admitRelease);
bench.add('LeaseAccount.tryAcquire + release', acquireRelease);
bench.add('Ledger.grant(32) + giveBack(32)', grantGiveBack);

export async function runMicro(): Promise<string> {
  await bench.run();
  assert.equal(sent.length, 0, 'still no IPC after the timed runs');
  const lines = ['| operation | ns per operation (mean) | ns per operation, p99 batch | rme |', '| --- | ---: | ---: | ---: |'];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    const ns = (ms: number): string => ((ms * 1e6) / OPS).toFixed(1);
    lines.push(`| ${task.name} | ${ns(r.latency.mean)} | ${ns(r.latency.p99)} | ${r.latency.rme.toFixed(1)}% |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { withLoadLock } = await import('../../tests/helpers/load-lock.js');
  process.stdout.write(`${await withLoadLock(runMicro)}\n`);
}
