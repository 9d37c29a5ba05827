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
// Types that appear in the signatures of Cancelable and OperationRegistry (their runtime helpers live
// in the 'cancelable-ts/worker' and 'cancelable-ts/process' entry points).
export type { RunInWorkerOptions } from './threads/run-in-worker.js';
export type { ScopedSpawnOptions, SpawnPromise, SpawnResult } from './processes/spawn.js';
export type { ForkOptions, ForkPromise } from './processes/fork.js';
export type { FromParentProcessOptions } from './processes/from-parent.js';
export type { ControlServer, ControlServerOptions } from './processes/control-server.js';
