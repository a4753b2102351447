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

async function importDefault(path: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  return mod.default ?? mod;
}

function normalise(app: AppObject): LoadedApp {
  return {
    handler: app.handler?.bind(app),
    websocket: app.websocket?.bind(app),
    ready: async () => void (await app.ready?.()),
    close: async () => void (await app.close?.()),
  };
}
