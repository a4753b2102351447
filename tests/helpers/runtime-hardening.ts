import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** One runtime-hardening contract of contracts/fixtures/runtime-hardening.json and the tests that prove it. */
export interface HardeningContract {
  id: string;
  spec: string;
  statement: string;
  expect?: { status: number; headers: Record<string, string>; body: string };
  proven_by: Array<{ file: string; test: string }>;
}

export const HARDENING_FIXTURE = join(ROOT, 'contracts/fixtures/runtime-hardening.json');

export function hardeningContracts(): HardeningContract[] {
  return (JSON.parse(readFileSync(HARDENING_FIXTURE, 'utf8')) as { contracts: HardeningContract[] }).contracts;
}

/** The expected response of contract `id`; throws when the fixture has no such entry or it carries no response shape. */
export function expectedResponse(id: string): NonNullable<HardeningContract['expect']> {
  const entry = hardeningContracts().find((c) => c.id === id);
  if (!entry?.expect) throw new Error(`contracts/fixtures/runtime-hardening.json has no response shape for ${id}`);
  return entry.expect;
}

/** The parts of `res` the contract fixes: its status, the expected headers (by lower-case name) and its body. */
export function contractView(res: { status: number; headers: Record<string, string | string[] | undefined>; body: string }, expected: NonNullable<HardeningContract['expect']>): NonNullable<HardeningContract['expect']> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(expected.headers)) headers[name] = String(res.headers[name.toLowerCase()]);
  return { status: res.status, headers, body: res.body };
}
