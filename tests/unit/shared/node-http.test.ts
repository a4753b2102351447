import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { ROOT } from '../../helpers/paths.js';

/** Every compiled product module: what Node loads, after TypeScript dropped the type-only imports. */
function productModules(): string[] {
  return ['contracts', 'shared', 'supervisor', 'worker'].flatMap((dir) =>
    readdirSync(join(ROOT, 'dist', dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(ROOT, 'dist', dir, f)),
  );
}

// An ESM import of node:http (or node:https) loads undici on Node 22.5+ (shared/node-http.ts says why).
const ESM_HTTP_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](?:node:)?https?['"]/;

t.test('no product module imports node:http or node:https as ESM; they come through shared/node-http.ts', async (t) => {
  const modules = productModules();
  t.ok(modules.length > 50, 'it reads the compiled tree');
  const offenders = modules.filter((f) => ESM_HTTP_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
  t.same(offenders, []);
});

t.test('the pattern catches each way of writing such an import', async (t) => {
  for (const line of ["import { createServer } from 'node:http';", 'import * as https from "node:https";', "import http from 'http';", "await import('node:http')", "import 'node:https';"]) {
    t.ok(ESM_HTTP_IMPORT.test(line), line);
  }
  t.notOk(ESM_HTTP_IMPORT.test("const http = createRequire(import.meta.url)('node:http');"));
});
