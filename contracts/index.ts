export * from './config.js';
export * from './cluster.js';
export * from './ipc.js';
export * from './status.js';
export * from './log-events.js';
export type * from './app.js';
