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
/** Ended: final status set, everything released. */
export const DONE = 5;

/** How the body ended (`scope._outcome`). */
export const OUTCOME_NONE = 0;
export const OUTCOME_VALUE = 1;
export const OUTCOME_ERROR = 2;
/** The grace period expired: the body is no longer waited for. */
export const OUTCOME_ABANDONED = 3;
