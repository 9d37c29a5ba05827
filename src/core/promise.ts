/**
 * Promise helpers shared by every layer: one definition of "thenable", one no-op, one settle-once
 * deferred.
 */

/** Does nothing; the one shared no-op (a reaction that handles a rejection nobody awaits, a released hold...). */
export function noop(): void {}

/**
 * Whether `value` is a thenable: an object or a function with a callable `then`. Never throws: reading
 * `then` on a hostile object (a proxy whose trap throws, a getter) answers `false`.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function';
  } catch {
    return false;
  }
}

/** Attaches a no-op rejection handler to a promise we stopped awaiting (never an unhandled rejection). */
export function ignoreRejection(value: unknown): void {
  if (!isThenable(value)) return;
  try {
    value.then(undefined, noop);
  } catch {
    // a foreign thenable whose then() throws: nothing to handle
  }
}

/** A promise with its settle functions, where only the first settle counts. */
export interface SettleOnce<T> {
  readonly promise: Promise<T>;
  /** Whether neither `resolve` nor `reject` has been called yet. */
  readonly pending: boolean;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A promise that settles once: later calls are ignored. Work can fail in several ways at once (a
 * cancellation, an 'error' event, an exit); whoever stopped awaiting must not get a late rejection.
 */
export function settleOnce<T>(): SettleOnce<T> {
  let settleResolve!: (value: T) => void;
  let settleReject!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    settleResolve = resolve;
    settleReject = reject;
  });
  const state = {
    promise,
    pending: true,
    resolve: (value: T): void => {
      if (!state.pending) return;
      state.pending = false;
      settleResolve(value);
    },
    reject: (error: unknown): void => {
      if (!state.pending) return;
      state.pending = false;
      settleReject(error);
    },
  };
  return state;
}
