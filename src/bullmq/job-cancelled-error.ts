import type { CancelationError, CancelationReason } from '../index.js';
import type { CancelState } from '../remote/index.js';

/**
 * What a cancelled job fails with. Its `name` is `'UnrecoverableError'`, the name BullMQ checks
 * (`err.name == 'UnrecoverableError'`) to fail a job without retrying it, so the job is not retried
 * whatever its `attempts`; its message — the job's `failedReason` — records why and by whom.
 * `cause` is the scope's cancellation error.
 *
 * @example
 * ```ts
 * worker.on('failed', (job, error) => {
 *   if (error instanceof JobCancelledError) console.log(job?.id, error.reason, error.by);
 * });
 * ```
 */
export class JobCancelledError extends Error {
  /** The job's id. */
  readonly jobId: string;
  /** Why the job was cancelled (`manual` unless the canceller said otherwise). */
  readonly reason: CancelationReason;
  /** Who cancelled it, when it came through `remote.cancel` (its `by`). */
  readonly by: string | undefined;
  /** When it was cancelled (epoch ms, the canceller's clock), when it came through `remote.cancel`. */
  readonly at: number | undefined;

  constructor(jobId: string, cancelation: CancelationError, state: CancelState | undefined) {
    const by = state === undefined ? '' : ` by ${state.by}`;
    super(`Job ${jobId} cancelled (${cancelation.reason})${by}: ${cancelation.message}`, { cause: cancelation });
    this.jobId = jobId;
    this.reason = cancelation.reason;
    this.by = state?.by;
    this.at = state?.at;
  }

  /** `'UnrecoverableError'`: how BullMQ recognises a failure it must not retry. */
  override get name(): string {
    return 'UnrecoverableError';
  }
}
