/**
 * `cancelable-ts/worker`: cancellation across worker threads.
 *
 * - {@link runInWorker}: runs a worker file in a scope; cancelling the scope cancels the worker.
 * - {@link workerMain}: the entry point of such a worker file.
 * - {@link SharedCancelationToken}: a token in shared memory, cancelled from any thread, seen by all.
 * - {@link WorkerError}: why a worker run failed when the worker itself could not say.
 *
 * @packageDocumentation
 */
export { MAX_SHARED_MESSAGE_BYTES, SharedCancelationToken } from './shared-token.js';
export { runInWorker } from './run-in-worker.js';
export type { RunInWorkerOptions } from './run-in-worker.js';
export { workerMain } from './worker-main.js';
export type { WorkerContext, WorkerMainFunction } from './worker-main.js';
export { WorkerError } from './protocol.js';
