import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Bench } from 'tinybench';
import { randomId16, randomId32 } from '../../worker/random-ids.js';
import { identify, identityLines, traceLines } from '../../worker/request-identity.js';
import { parseTraceparent } from '../../worker/trace-context.js';

/**
 * What request identity and trace context cost per request
 * (docs/observability.md): `identify` as the hot path calls it, with nothing
 * sent (three ids made) and with an X-Request-Id and a traceparent (one
 * parse, one id), the lines written to the response, the parse alone, and
 * the pooled ids beside one `randomBytes` or `randomUUID` call per id. Each
 * task runs OPS operations per sample; results are checked first. Takes the
 * load lock (/tmp/propane-load.lock) itself:
 *
 *   node dist/bench/micro/request-identity.bench.js
 */
const OPS = 1000;
const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const NOTHING: IncomingHttpHeaders = {};
const GIVEN: IncomingHttpHeaders = { 'x-request-id': 'req-7f3a9c', traceparent: PARENT };
const HUGE: IncomingHttpHeaders = { traceparent: `${PARENT}-${'x'.repeat(10_000)}` };
let sink = 0;

const fresh = identify(NOTHING);
assert.match(fresh.requestId, /^[0-9a-f]{32}$/);
assert.match(fresh.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
const continued = identify(GIVEN);
assert.equal(continued.requestId, 'req-7f3a9c');
assert.equal(continued.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
assert.notEqual(identify(HUGE).traceId, continued.traceId, 'a 10 KB traceparent starts a new trace');
assert.deepEqual(parseTraceparent(PARENT), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', traceFlags: '01' });
assert.equal(identityLines(continued) + traceLines(continued), `X-Request-Id: req-7f3a9c\r\nX-Correlation-Id: req-7f3a9c\r\ntraceparent: ${continued.traceparent}\r\nX-Trace-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\n`);

function loop(fn: () => number): () => void {
  return () => {
    for (let i = 0; i < OPS; i++) sink += fn();
  };
}

const bench = new Bench({ time: 2000, warmupTime: 300 });
bench.add('identify, nothing sent (3 ids made)', loop(() => identify(NOTHING).spanId.length));
bench.add('identify, X-Request-Id and traceparent sent (1 parse, 1 id)', loop(() => identify(GIVEN).spanId.length));
bench.add('identify + render the 4 header lines, nothing sent', loop(() => {
  const c = identify(NOTHING);
  return (identityLines(c) + traceLines(c)).length;
}));
bench.add('identify, a 10 KB traceparent (refused)', loop(() => identify(HUGE).spanId.length));
bench.add('parseTraceparent, valid', loop(() => parseTraceparent(PARENT)!.traceFlags.length));
bench.add('randomId32 (pooled randomFillSync)', loop(() => randomId32().length));
bench.add('randomId16 (pooled randomFillSync)', loop(() => randomId16().length));
bench.add('randomBytes(16).toString(hex), one call per id', loop(() => randomBytes(16).toString('hex').length));
bench.add('randomUUID (the id propane used before)', loop(() => randomUUID().length));

export async function runMicro(): Promise<string> {
  await bench.run();
  assert.ok(sink > 0);
  // On a shared machine a batch is often preempted: the fastest and the median batch say more than the mean.
  const lines = ['| operation | ns per operation, fastest batch | median batch | mean | rme |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    const ns = (ms: number): string => ((ms * 1e6) / OPS).toFixed(1);
    lines.push(`| ${task.name} | ${ns(r.latency.min)} | ${ns(r.latency.p50)} | ${ns(r.latency.mean)} | ${r.latency.rme.toFixed(1)}% |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { withLoadLock } = await import('../../tests/helpers/load-lock.js');
  process.stdout.write(`${await withLoadLock(runMicro)}\n`);
}
