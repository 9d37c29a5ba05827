/**
 * cancelable — structured cancellation of async work on Node.js.
 *
 * @packageDocumentation
 */
export * from './core/index.js';
export * from './sources/index.js';
export * from './streams/index.js';
export * from './wrappers/index.js';
export * from './registry/index.js';
