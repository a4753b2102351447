import { pathToFileURL } from 'node:url';
import type { AppObject, RequestListener } from '../contracts/app.js';
import { defaultApp } from './default-app.js';

export interface LoadedApp {
  handler: RequestListener | undefined;
  websocket: AppObject['websocket'];
  ready: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Loads the app module afresh (a reload forks new processes, so new code is
 * read from disk). The default export, or the CommonJS `module.exports`, is a
 * request listener or an object with handler/websocket/ready/close.
 */
export async function loadApp(path: string | null): Promise<LoadedApp> {
  const exported = path === null ? defaultApp : await importDefault(path);
  if (typeof exported === 'function') return normalise({ handler: exported as RequestListener });
  if (typeof exported === 'object' && exported !== null) {
    const app = exported as Record<string, unknown>;
    for (const key of ['handler', 'websocket', 'ready', 'close']) {
      if (app[key] !== undefined && typeof app[key] !== 'function') {
        throw new TypeError(`the app's ${key} must be a function; got ${typeof app[key]}. Fix: export ${key}(…) or leave it out.`);
      }
    }
    if (!app.handler && !app.websocket) {
      throw new TypeError(`the app exports neither handler nor websocket. Fix: export default (req, res) => …, or { handler, websocket }.`);
    }
    return normalise(app as AppObject);
  }
  throw new TypeError(`the app's default export must be a function or an object; got ${exported === null ? 'null' : typeof exported}. Fix: export default (req, res) => { … }.`);
}

/** A .ts, .mts or .cts app loads through Node's own type stripping (docs/runtimes.md); the supervisor has checked the version. */
async function importDefault(path: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' ? explainUnerasable(path, err as Error) : err;
  }
  return mod.default ?? mod;
}

/**
 * Type stripping only erases types; an enum, a namespace with values or a
 * parameter property needs code generated. Node's message names the syntax,
 * not the file, which may also be one the app imports. No `cause`: pino's
 * error serializer would append Node's message a second time.
 */
function explainUnerasable(path: string, err: Error): Error {
  const explained = new SyntaxError(
    `${path} (or a module it imports) uses TypeScript that Node's type stripping cannot erase (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX: ${err.message}). Fix: use erasable syntax only (no enum, no namespace with values, no parameter properties; tsc's erasableSyntaxOnly checks it), or compile the app to JavaScript and start the .js file.`,
  );
  return Object.assign(explained, { code: 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' });
}

function normalise(app: AppObject): LoadedApp {
  return {
    handler: app.handler?.bind(app),
    websocket: app.websocket?.bind(app),
    ready: async () => void (await app.ready?.()),
    close: async () => void (await app.close?.()),
  };
}
