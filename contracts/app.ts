import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What propane knows of a request's identity and trace (docs/observability.md,
 * "Request identity and trace context"), on `req.propane` of every request and
 * WebSocket upgrade. An app passes `traceparent` (and `tracestate` when set)
 * on to its own outgoing calls so they continue the trace.
 */
export interface PropaneRequestContext {
  /** The client's X-Request-Id when it is a safe token, else a fresh 32-character lower-hex id. */
  readonly requestId: string;
  /** 32 lower-hex characters: the inbound trace's, or a new one. */
  readonly traceId: string;
  /** 16 lower-hex characters, new for this hop. */
  readonly spanId: string;
  /** Two lower-hex characters, as on the wire: the inbound trace's flags, or those of a new trace. */
  readonly traceFlags: string;
  /** `00-<traceId>-<spanId>-<traceFlags>`: the value to send on from this hop. */
  readonly traceparent: string;
  /** The inbound tracestate, unchanged, when the inbound traceparent was valid and it is well-formed; else undefined. */
  readonly tracestate: string | undefined;
}

/** The request an app receives: a node:http request with propane's context. */
export type PropaneRequest = IncomingMessage & { readonly propane: PropaneRequestContext };

/**
 * The shape of an app module's default export (README, "Running your app").
 * Checked at load time by the worker; functions cannot be described by a zod
 * schema.
 */
export type RequestListener = (req: PropaneRequest, res: ServerResponse) => void | Promise<void>;

/** `socket` is a `ws` WebSocket; typed loosely so contracts need not import ws. */
export interface AppObject {
  handler?: RequestListener;
  websocket?: (socket: unknown, req: PropaneRequest) => void;
  ready?: () => Promise<void> | void;
  close?: () => Promise<void> | void;
}

export type AppModule = RequestListener | AppObject;
