import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../../helpers/paths.js';
import { hardeningContracts } from '../../helpers/runtime-hardening.js';

/** A test is named in its source as the first argument of t.test, in quotes or backticks. */
function declaresTest(source: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\bt\\.test\\(\\s*(['"\`])${escaped}\\1`).test(source);
}

const contracts = hardeningContracts();

t.test('the fixture lists contracts with unique ids', async (t) => {
  t.ok(contracts.length >= 10);
  t.equal(new Set(contracts.map((c) => c.id)).size, contracts.length);
});

for (const c of contracts) {
  t.test(`${c.id} is proven by tests that exist`, async (t) => {
    t.ok(c.statement.length > 0, 'it states the contract');
    t.ok(/^(docs\/[a-z-]+|README)\.md$/.test(c.spec) && existsSync(join(ROOT, c.spec)), `${c.spec} is a project doc that exists`);
    t.ok(c.proven_by.length > 0, 'at least one test proves it');
    for (const p of c.proven_by) {
      const file = join(ROOT, p.file);
      t.ok(existsSync(file), `${p.file} exists`);
      if (existsSync(file)) t.ok(declaresTest(readFileSync(file, 'utf8'), p.test), `${p.file} declares the test "${p.test}"`);
    }
    if (c.expect) {
      t.type(c.expect.status, 'number');
      t.ok(Object.keys(c.expect.headers).every((h) => h === h.toLowerCase()), 'header names are lower-case');
    }
  });
}

t.test('every response shape in the fixture is read by an integration test', async (t) => {
  const integration = readFileSync(join(ROOT, 'tests/integration/contract-runtime-hardening.test.ts'), 'utf8');
  for (const c of contracts.filter((x) => x.expect)) t.ok(integration.includes(`expectedResponse('${c.id}')`), `${c.id} is checked against a live node`);
});
