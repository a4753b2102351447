import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where things are in the checkout, from the built helpers in dist/tests/helpers. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const CLI = join(ROOT, 'dist/supervisor/cli.js');
/** A one-behaviour app in tests/fixtures/apps, named by what it does. */
export const fixtureApp = (name: string): string => join(ROOT, 'tests/fixtures/apps', name);
/** A misbehaving client in tests/fixtures/clients. */
export const fixtureClient = (name: string): string => join(ROOT, 'tests/fixtures/clients', name);
