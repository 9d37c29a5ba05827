/**
 * `cancelable-ts/worker`: cancellation across worker threads.
 *
 * - {@link SharedCancelationToken}: a token in shared memory, cancelled from any thread, seen by all.
 * - {@link workerMain}: the entry point of a worker file run by `scope.runInWorker(file, options)`.
 * - {@link WorkerError}: why a worker run failed when the worker itself could not say.
 *
 * @packageDocumentation
 */
export { MAX_SHARED_MESSAGE_BYTES, SharedCancelationToken } from './shared-token.js';
export { workerMain } from './worker-main.js';
export type { WorkerContext, WorkerMainFunction } from './worker-main.js';
export { WorkerError } from './protocol.js';
export type { RunInWorkerOptions } from './run-in-worker.js';
