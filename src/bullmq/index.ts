/**
 * `cancelable-ts/bullmq`: BullMQ jobs that any process can cancel (SPEC §11). BullMQ is an optional
 * peer dependency; cancels travel through a `cancelable-ts/redis` (or postgres) remote.
 *
 * @packageDocumentation
 */
export { cancelableProcessor } from './processor.js';
export type { CancelableJobProcessor, CancelableProcessorOptions, SignalProcessor } from './processor.js';
export { JobCancelledError } from './job-cancelled-error.js';
export { RemoteCancelation, RemoteSource } from '../remote/index.js';
export type { CancelState, RemoteCancelOptions, RemoteCancelResult } from '../remote/index.js';
