/**
 * `cancelableProcessor`: a BullMQ processor whose job runs in a scope that any process can cancel
 * through `remote.cancel(job.id)`, and that BullMQ's own abort signal (`worker.cancelJob`) cancels
 * too. A job cancelled that way fails at once with a {@link JobCancelledError}, never retried.
 */
import type { Job } from 'bullmq';
import {
  AbortSignalSource,
  Cancelable,
  isCancelationError,
  TimeoutSource,
  type CancelationSource,
  type OperationRegistry,
} from '../index.js';
import { checkOptions, describe, RemoteCancelation, type RemoteSource } from '../remote/index.js';
import { JobCancelledError } from './job-cancelled-error.js';

/** Options of {@link cancelableProcessor}. */
export interface CancelableProcessorOptions {
  /** The remote (`createRedisCancelation` / `createPostgresCancelation`) cancels arrive through. */
  remote: RemoteCancelation;
  /** The id to cancel a job by. Default `job.id`. (Job ids repeat across queues: map them if queues share a namespace.) */
  id?: (job: Job) => string;
  /** The scope's name. Default `<queue>:<job name>`. */
  name?: (job: Job) => string;
  /** A per-job timeout in ms. A job that times out fails as usual (BullMQ may retry it); only cancels are unrecoverable. */
  timeout?: number;
  /** The scope's grace period for a processor that ignores cancellation (see the scopes docs). */
  graceMs?: number;
  /** Register each job's scope (e.g. in a registry attached to the remote). */
  register?: boolean | OperationRegistry;
}

/** Your processor: the job, its running scope (hand `scope.signal` to what you await), and the lock token. */
export type CancelableJobProcessor<T = unknown, R = unknown, N extends string = string> = (
  job: Job<T, R, N>,
  scope: Cancelable,
  token: string | undefined,
) => Promise<R>;

/** What BullMQ calls: a processor that takes its abort signal (three parameters). */
export type SignalProcessor<T = unknown, R = unknown, N extends string = string> = (
  job: Job<T, R, N>,
  token?: string,
  signal?: AbortSignal,
) => Promise<R>;

/**
 * Wraps `processor` for a BullMQ `Worker`: each job runs in a scope fed by BullMQ's own abort signal
 * and by `remote.source(job.id)`, so `remote.cancel(job.id)` from any process (an API instance, the
 * CLI) stops the job wherever it runs. A job stopped by either fails without retries, its
 * `failedReason` saying why; a job that ignores its signal is abandoned after the grace period.
 *
 * @example
 * ```ts
 * const remote = createRedisCancelation({ client: connection });
 * new Worker('exports', cancelableProcessor(async (job, scope) => {
 *   for (const page of pages(job.data)) {
 *     await scope.race(render(page)); // rejects at once when the job is cancelled
 *     await job.updateProgress(page.number);
 *   }
 * }, { remote }), { connection });
 * // from anywhere: await remote.cancel(jobId, { message: 'User pressed Stop' });
 * ```
 */
export function cancelableProcessor<T = unknown, R = unknown, N extends string = string>(
  processor: CancelableJobProcessor<T, R, N>,
  options: CancelableProcessorOptions,
): SignalProcessor<T, R, N> {
  if (typeof processor !== 'function') throw new TypeError(`processor must be a function, got ${describe(processor)}`);
  if (options === undefined) throw new TypeError('options must be an options object with a remote, got undefined');
  const checked = checkOptions<CancelableProcessorOptions>('options', options, ['remote', 'id', 'name', 'timeout', 'graceMs', 'register']);
  const { remote, id: idOf, name: nameOf, timeout, graceMs, register } = checked as CancelableProcessorOptions;
  if (!(remote instanceof RemoteCancelation)) {
    throw new TypeError(`options.remote must be a remote from createRedisCancelation or createPostgresCancelation, got ${describe(remote)}`);
  }
  for (const [key, value] of [['id', idOf], ['name', nameOf]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`options.${key} must be a function of the job, got ${describe(value)}`);
  }
  if (timeout !== undefined) new TimeoutSource(timeout); // checks the value now, not at the first job
  // Three declared parameters: BullMQ hands the abort signal only to processors whose length is >= 3.
  return async function processCancelableJob(job: Job<T, R, N>, token?: string, signal?: AbortSignal): Promise<R> {
    const id = idOf === undefined ? job.id : idOf(job as Job);
    if (typeof id !== 'string' || id === '') throw new TypeError(`the job's id must be a non-empty string, got ${describe(id)}`);
    const name = nameOf === undefined ? `${job.queueName}:${job.name}` : nameOf(job as Job);
    const remoteSource: RemoteSource = remote.source(id, { name });
    const sources: CancelationSource[] = [remoteSource];
    const bullSignal = signal === undefined ? undefined : new AbortSignalSource(signal, { name: 'bullmq' });
    if (bullSignal !== undefined) sources.push(bullSignal);
    if (timeout !== undefined) sources.push(new TimeoutSource(timeout));
    const scope = new Cancelable({
      name,
      sources,
      parent: null,
      metadata: { queue: job.queueName, jobId: job.id ?? null, attempt: job.attemptsMade },
      ...(graceMs === undefined ? {} : { graceMs }),
      ...(register === undefined ? {} : { register }),
    });
    try {
      return await scope.run((running) => processor(job, running, token));
    } catch (error) {
      const cancelledHere = remoteSource.state !== undefined || signal?.aborted === true;
      const cancelation = scope.cancelError;
      if (cancelledHere && cancelation !== undefined && isCancelationError(error)) {
        throw new JobCancelledError(id, cancelation, remoteSource.state);
      }
      throw error;
    }
  };
}
