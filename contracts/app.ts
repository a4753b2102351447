import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The shape of an app module's default export (README, "Running your app").
 * Checked at load time by the worker; functions cannot be described by a zod
 * schema.
 */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** `socket` is a `ws` WebSocket; typed loosely so contracts need not import ws. */
export interface AppObject {
  handler?: RequestListener;
  websocket?: (socket: unknown, req: IncomingMessage) => void;
  ready?: () => Promise<void> | void;
  close?: () => Promise<void> | void;
}

export type AppModule = RequestListener | AppObject;
