import { clearLongTimeout, getDefaultClock, isClock, setLongTimeout, type Clock, type TimerHandle } from '../core/clock.js';
import { CancelationToken, parseCancelArgument, type CancelArgument } from '../core/token.js';
import type { CancelationReason } from '../core/reasons.js';
import { checkDuration, checkKnownKeys, describeValue } from '../core/validate.js';

/** One recorded call of {@link MockCancelationToken.cancel} or `cancelSync`. */
export interface CancelCall {
  /** Which method was called. */
  readonly method: 'cancel' | 'cancelSync';
  /** The argument as given. */
  readonly argument: CancelArgument;
  /** The reason it asked for (`manual` unless given); `undefined` if the argument was invalid. */
  readonly reason: CancelationReason | undefined;
  /** The message it asked for. */
  readonly message: string | undefined;
  /** The token's clock time of the call, epoch ms. */
  readonly at: number;
  /** Whether this call cancelled the token (only the first valid call does). */
  readonly accepted: boolean;
  /** Set when the argument was invalid (the call threw or rejected with it). */
  readonly error?: unknown;
}

/** Options of {@link MockCancelationToken}. */
export interface MockCancelationTokenOptions {
  /** The clock for call times and {@link MockCancelationToken.scheduleCancel}. Default: the default clock. */
  clock?: Clock;
}

/**
 * A real {@link CancelationToken} that records every `cancel()`/`cancelSync()` call (accepted or not)
 * and can schedule a cancellation on a clock. Drive it from a test to check that code cancels (or
 * doesn't), how often, and with what.
 *
 * @example
 * ```ts
 * const token = new MockCancelationToken();
 * await stopButton(token);                 // code under test calls token.cancel('Stopped by user')
 * expect(token.cancelCount).toBe(1);
 * expect(token.calls[0]).toMatchObject({ reason: 'manual', message: 'Stopped by user', accepted: true });
 * ```
 */
export class MockCancelationToken extends CancelationToken {
  readonly #calls: CancelCall[] = [];
  readonly #clock: Clock;
  readonly #scheduled = new Set<TimerHandle>();

  constructor(options?: MockCancelationTokenOptions) {
    super();
    checkKnownKeys('options', options, new Set(['clock']));
    const clock = options?.clock;
    if (clock !== undefined && !isClock(clock)) {
      throw new TypeError(`options.clock must be a Clock, got ${describeValue(clock)}`);
    }
    this.#clock = clock ?? getDefaultClock();
  }

  /** Every cancel call so far, oldest first. */
  get calls(): readonly CancelCall[] {
    return this.#calls;
  }

  /** How many times `cancel()` or `cancelSync()` was called (accepted or not). */
  get cancelCount(): number {
    return this.#calls.length;
  }

  /** The most recent call, if any. */
  get lastCall(): CancelCall | undefined {
    return this.#calls[this.#calls.length - 1];
  }

  /** Number of cancellations scheduled with {@link MockCancelationToken.scheduleCancel} and not yet run. */
  get scheduledCount(): number {
    return this.#scheduled.size;
  }

  override cancel(argument?: CancelArgument): Promise<boolean> {
    const before = this.isCancelled;
    try {
      parseCancelArgument(argument);
    } catch (error) {
      this.#record('cancel', argument, before, error);
      throw error;
    }
    // The base class commits the cancel synchronously, before its first await.
    const result = super.cancel(argument);
    this.#record('cancel', argument, before, undefined);
    return result;
  }

  override cancelSync(argument?: CancelArgument): boolean {
    const before = this.isCancelled;
    try {
      const accepted = super.cancelSync(argument);
      this.#record('cancelSync', argument, before, undefined);
      return accepted;
    } catch (error) {
      this.#record('cancelSync', argument, before, error);
      throw error;
    }
  }

  /**
   * Cancels the token `delayMs` from now on its clock (with `argument`, as `cancel()` takes). Returns a
   * function that unschedules it. Pending schedules are cleared by {@link MockCancelationToken.dispose}.
   * @example
   * ```ts
   * const clock = new ManualClock();
   * const token = new MockCancelationToken({ clock });
   * token.scheduleCancel(500, 'Too slow');
   * await clock.advance(500); // token.isCancelled === true
   * ```
   */
  scheduleCancel(delayMs: number, argument?: CancelArgument): () => void {
    checkDuration('delayMs', delayMs);
    parseCancelArgument(argument);
    const clock = this.#clock;
    const handle: TimerHandle = setLongTimeout(
      clock,
      () => {
        this.#scheduled.delete(handle);
        this.cancelSync(argument);
      },
      delayMs,
      undefined,
    );
    this.#scheduled.add(handle);
    return () => {
      if (this.#scheduled.delete(handle)) clearLongTimeout(clock, handle);
    };
  }

  /** Forgets the recorded calls (the token stays cancelled if it was). */
  clearCalls(): void {
    this.#calls.length = 0;
  }

  /** Clears every pending {@link MockCancelationToken.scheduleCancel}. */
  dispose(): void {
    for (const handle of this.#scheduled) clearLongTimeout(this.#clock, handle);
    this.#scheduled.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #record(method: CancelCall['method'], argument: CancelArgument, before: boolean, error: unknown): void {
    let reason: CancelationReason | undefined;
    let message: string | undefined;
    if (error === undefined) ({ reason, message } = parseCancelArgument(argument));
    const call: CancelCall = {
      method,
      argument,
      reason,
      message,
      at: this.#clock.now(),
      accepted: error === undefined && !before && this.isCancelled,
      ...(error !== undefined ? { error } : {}),
    };
    this.#calls.push(call);
  }
}
