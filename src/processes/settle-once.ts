/** A promise with its settle functions, where only the first settle counts. */
export interface SettleOnce<T> {
  readonly promise: Promise<T>;
  /** Whether neither `resolve` nor `reject` has been called yet. */
  readonly pending: boolean;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A promise that settles once: later calls are ignored. A process can fail in several ways at once (a
 * cancellation, an 'error' event, its exit); whoever stopped awaiting must not get a late rejection.
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
