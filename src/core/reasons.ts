/**
 * Why a scope was cancelled.
 *
 * `timeout` (a timeout or deadline), `manual` (`cancel()` or a token), `signal` (an OS signal),
 * `condition` (a polled predicate), `parent` (an enclosing scope was cancelled or ended) or
 * `disconnect` (the HTTP client went away).
 */
export const CancelationReason = {
  Timeout: 'timeout',
  Manual: 'manual',
  Signal: 'signal',
  Condition: 'condition',
  Parent: 'parent',
  Disconnect: 'disconnect',
} as const;

/** One of the values of {@link CancelationReason}. */
export type CancelationReason = (typeof CancelationReason)[keyof typeof CancelationReason];

/**
 * The lifecycle of a scope: `pending` -> `running` -> exactly one of `completed`, `cancelled`, `failed`.
 */
export const OperationStatus = {
  Pending: 'pending',
  Running: 'running',
  Completed: 'completed',
  Cancelled: 'cancelled',
  Failed: 'failed',
} as const;

/** One of the values of {@link OperationStatus}. */
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];

const reasons: ReadonlySet<string> = new Set(Object.values(CancelationReason));

/** The reasons, listed for error messages: `timeout, manual, signal, condition, parent, disconnect`. */
export const reasonList: string = [...reasons].join(', ');

/** Whether `value` is a valid {@link CancelationReason}. */
export function isCancelationReason(value: unknown): value is CancelationReason {
  return typeof value === 'string' && reasons.has(value);
}
