/**
 * How a run ends (SPEC §3), as one pure decision: from how the body ended and whether the scope was
 * cancelled, the final status and what `run()` settles with.
 */
import { causeChainIncludes, isCancelationError, type CancelationError } from '../errors.js';
import { OperationStatus } from '../reasons.js';
import { OUTCOME_ABANDONED, OUTCOME_VALUE } from './phases.js';

/** The final status and what `run()` settles with. */
export interface Decision {
  readonly status: OperationStatus;
  /** Resolve (`true`) or reject (`false`) with `value`. */
  readonly ok: boolean;
  readonly value: unknown;
  /** The scope's cancellation error after the decision (a `CancelationError` thrown by the body is adopted). */
  readonly cancelError: CancelationError | undefined;
  /** Set `cancelError.cause` to this (the body's own error, after a cancellation). */
  readonly cause: unknown;
}

/**
 * The row of SPEC §3 that applies.
 * @param outcome - how the body ended (`OUTCOME_*`).
 * @param value - its value or error.
 * @param cancelError - the scope's cancellation error, if any.
 * @param cancelledWhenSettled - whether the scope was already cancelled when the body settled (a
 *   cancellation that arrives later, while shields hold the scope open, does not turn a failure into
 *   a cancellation).
 */
export function decide(
  outcome: number,
  value: unknown,
  cancelError: CancelationError | undefined,
  cancelledWhenSettled: boolean,
): Decision {
  if (outcome === OUTCOME_VALUE) {
    return { status: OperationStatus.Completed, ok: true, value, cancelError, cause: undefined };
  }
  if (outcome === OUTCOME_ABANDONED) {
    return { status: OperationStatus.Cancelled, ok: false, value: cancelError, cancelError, cause: undefined };
  }
  if (cancelError !== undefined && (cancelledWhenSettled || isCancelationError(value))) {
    const addCause = value !== cancelError && cancelError.cause === undefined && !causeChainIncludes(value, cancelError);
    return { status: OperationStatus.Cancelled, ok: false, value: cancelError, cancelError, cause: addCause ? value : undefined };
  }
  if (isCancelationError(value)) {
    return { status: OperationStatus.Cancelled, ok: false, value, cancelError: value, cause: undefined };
  }
  return { status: OperationStatus.Failed, ok: false, value, cancelError, cause: undefined };
}
