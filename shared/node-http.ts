import { createRequire } from 'node:module';
import type * as Http from 'node:http';

/**
 * node:http through require, never through an ESM `import`: from Node 22.5
 * the ESM facade of a builtin reads every export, and node:http's lazy
 * WebSocket, CloseEvent and MessageEvent getters then load undici, which
 * cost every process 12 MB of RSS and 22 ms of CPU on Node 24 for nothing
 * propane uses (bench/RESULTS.md, "Worker cold start"). A unit test keeps
 * node:http and node:https imports out of the compiled product code.
 */
const http = createRequire(import.meta.url)('node:http') as typeof Http;

export const { createServer, request, validateHeaderName, validateHeaderValue } = http;
export const ServerResponse = http.ServerResponse;
export type ServerResponse<Req extends Http.IncomingMessage = Http.IncomingMessage> = Http.ServerResponse<Req>;
