/**
 * Where a run is in its lifecycle (`scope._phase`). The public status changes only at start (to
 * `running`) and at the very end (to its final value), so callbacks always see a final status.
 */

/** Not started. */
export const PENDING = 0;
/** Sources started; async `onStart` callbacks running. */
export const STARTING = 1;
/** `run()`: the body is running. */
export const BODY = 2;
/** `enter()`: the block is running. */
export const ENTERED = 3;
/** The outcome is decided: waiting for the ledger (shields, children, held resources) and callbacks. */
export const SETTLING = 4;
/**
 * Ended, with its final status (the status is part of the phase: one field less per scope). Test
 * `phase >= DONE` for "ended".
 */
export const DONE = 5;
export const DONE_COMPLETED = 5;
export const DONE_CANCELLED = 6;
export const DONE_FAILED = 7;

const doneStatus = ['completed', 'cancelled', 'failed'] as const;
const liveStatus = ['pending', 'running', 'running', 'running', 'running'] as const;

/** The public status of a phase. */
export function statusOf(phase: number): 'pending' | 'running' | 'completed' | 'cancelled' | 'failed' {
  return phase >= DONE ? doneStatus[phase - DONE] as 'completed' : liveStatus[phase] as 'running';
}

/** The phase that ends a run with `status`. */
export function donePhase(status: string): number {
  return status === 'completed' ? DONE_COMPLETED : status === 'cancelled' ? DONE_CANCELLED : DONE_FAILED;
}

/** How the body ended (`scope._outcome`). */
export const OUTCOME_NONE = 0;
export const OUTCOME_VALUE = 1;
export const OUTCOME_ERROR = 2;
/** The grace period expired: the body is no longer waited for. */
export const OUTCOME_ABANDONED = 3;
