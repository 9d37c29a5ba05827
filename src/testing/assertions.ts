import { AssertionError } from 'node:assert';
import { clearLongTimeout, getDefaultClock, isClock, setLongTimeout, unrefLongTimeout, type Clock, type TimerHandle } from '../core/clock.js';
import { isCancelation } from '../core/errors.js';
import { checkDuration, checkDurationOrInfinity, checkKnownKeys, describeValue } from '../core/validate.js';
import { show } from './match.js';

// Captured at load: the watchdog's last check must take a real turn even under fake timers.
const realSetImmediate = globalThis.setImmediate;

/** Options of {@link assertCancelationWithin}. */
export interface AssertCancelationOptions {
  /**
   * The clock that measures the time (and runs the watchdog). Default: the default clock — real time,
   * fake time under fake timers, or the clock installed with `installClock()`.
   */
  clock?: Clock;
}

/** What {@link assertCancelationWithin} resolves with. */
export interface CancelationTiming {
  /** The cancellation error `fn` rejected with. */
  readonly error: unknown;
  /** When it rejected, in ms after the call. */
  readonly elapsedMs: number;
}

type Outcome =
  | { kind: 'fulfilled'; value: unknown; at: number }
  | { kind: 'rejected'; error: unknown; at: number }
  | { kind: 'running'; at: number };

/**
 * Runs `fn` (or awaits a promise) and checks that it rejects with a cancellation (see `isCancelation`:
 * a `CancelationError`, a native `AbortError`/`TimeoutError`, or an error caused by one) between
 * `minMs` and `maxMs` after the call. Otherwise it rejects with an `AssertionError` saying what
 * happened instead: completed, failed with another error, cancelled too early or too late, or still
 * running at `maxMs` (it stops waiting then; `maxMs = Infinity` waits for ever). Resolves with the error
 * and the elapsed time.
 *
 * With real time, leave slack for timer lateness; with a `ManualClock` (option `clock`, or installed),
 * advance the clock while the assertion waits.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const check = assertCancelationWithin(1_000, 1_000, () =>
 *   Cancelable.withTimeout(1_000, { clock }).run((scope) => scope.sleep(5_000)), { clock });
 * await clock.advance(1_000);
 * const { error } = await check; // a TimeoutCancelation, exactly 1000 ms after the call
 * ```
 */
export async function assertCancelationWithin(
  minMs: number,
  maxMs: number,
  fn: (() => unknown) | PromiseLike<unknown>,
  options?: AssertCancelationOptions,
): Promise<CancelationTiming> {
  checkDuration('minMs', minMs);
  checkDurationOrInfinity('maxMs', maxMs);
  if (minMs > maxMs) throw new RangeError(`minMs (${minMs}) must not be greater than maxMs (${maxMs})`);
  const isThenable =
    fn !== null && typeof fn === 'object' && typeof (fn as Partial<PromiseLike<unknown>>).then === 'function';
  if (typeof fn !== 'function' && !isThenable) {
    throw new TypeError(`fn must be a function or a promise, got ${describeValue(fn)}`);
  }
  checkKnownKeys('options', options, new Set(['clock']));
  const clock = options?.clock ?? getDefaultClock();
  if (!isClock(clock)) {
    throw new TypeError(`options.clock must be a Clock, got ${describeValue(clock)}`);
  }

  const start = clock.now();
  let promise: PromiseLike<unknown>;
  try {
    promise = typeof fn === 'function' ? Promise.resolve(fn()) : fn;
  } catch (error) {
    promise = Promise.reject(error);
  }
  const outcome = await new Promise<Outcome>((resolve) => {
    let done = false;
    let watchdog: TimerHandle;
    const finish = (result: Outcome): void => {
      if (done) return;
      done = true;
      if (watchdog !== undefined) clearLongTimeout(clock, watchdog);
      watchdog = undefined;
      resolve(result);
    };
    promise.then(
      (value) => finish({ kind: 'fulfilled', value, at: clock.now() }),
      (error: unknown) => finish({ kind: 'rejected', error, at: clock.now() }),
    );
    if (maxMs !== Infinity && !done) {
      watchdog = setLongTimeout(
        clock,
        () => {
          watchdog = undefined;
          // A cancellation due at maxMs settles through promise jobs: let them run before judging.
          realSetImmediate(() => finish({ kind: 'running', at: clock.now() }));
        },
        maxMs,
        undefined,
      );
      unrefLongTimeout(clock, watchdog);
    }
  });

  const elapsedMs = outcome.at - start;
  const window = maxMs === Infinity ? `at least ${minMs} ms` : `between ${minMs} and ${maxMs} ms`;
  const fail = (message: string, actual: unknown, cause?: unknown): never => {
    const error = new AssertionError({
      message: `Expected a cancellation ${window} after the call, but ${message}`,
      actual,
      expected: maxMs === Infinity ? { minMs } : { minMs, maxMs },
      operator: 'assertCancelationWithin',
    });
    if (cause !== undefined) (error as Error).cause = cause;
    throw error;
  };
  if (outcome.kind === 'running') {
    return fail(`it was still running after ${elapsedMs} ms`, { status: 'running', elapsedMs });
  }
  if (outcome.kind === 'fulfilled') {
    return fail(`it completed after ${elapsedMs} ms with ${show(outcome.value)}`, {
      status: 'completed',
      value: outcome.value,
      elapsedMs,
    });
  }
  const error = outcome.error;
  if (!isCancelation(error)) {
    const described = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
    return fail(`it failed after ${elapsedMs} ms with ${described} (not a cancellation)`, { status: 'failed', error, elapsedMs }, error);
  }
  if (elapsedMs < minMs) {
    return fail(`it was cancelled too early, after ${elapsedMs} ms`, { status: 'cancelled', elapsedMs }, error);
  }
  if (elapsedMs > maxMs) {
    return fail(`it was cancelled too late, after ${elapsedMs} ms`, { status: 'cancelled', elapsedMs }, error);
  }
  return { error, elapsedMs };
}
