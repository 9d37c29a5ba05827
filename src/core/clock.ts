import { monotonicNow } from './time/monotonic.js';
import { armDeadline, clearDeadline, Deadline, deadlineQueueUsable, unrefDeadline } from './time/deadline-queue.js';
import { runtime } from './runtime.js';
import { describeValue } from './validate.js';

/** `setTimeout`'s largest delay (2³¹−1 ms); longer ones are armed in steps (Node would fire them after 1 ms). */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The time source the library uses for timeouts, deadlines, condition polling, grace periods and chunk
 * flushing. Swap it (globally with {@link setDefaultClock}, or per scope with the `clock` option) to
 * drive the library from a test. The system clock reads `Date.now`/`setTimeout`/`clearTimeout` from
 * `globalThis` at each call, so fake timers installed after import (vitest, @sinonjs/fake-timers)
 * control it too.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback(arg)` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle;
  /** Cancels a timer; a no-op for a handle that already fired or was cleared. */
  clearTimeout(handle: TimerHandle): void;
  /** Lets the process exit while only this timer is pending, where the clock supports it. */
  unref?(handle: TimerHandle): void;
  /**
   * Milliseconds from an arbitrary origin that never go backwards, for durations (`durationMs`). A
   * clock without it measures durations with `now()`.
   */
  monotonic?(): number;
}

/** The real clock. Reads the global timer functions at call time (see {@link Clock}). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms, arg) => globalThis.setTimeout(callback, ms, arg),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  unref: (handle) => {
    (handle as { unref?: () => void } | undefined)?.unref?.();
  },
  monotonic: monotonicNow,
};

/** @internal Whether `value` has the methods of a {@link Clock}. Never throws. */
export function isClock(value: unknown): value is Clock {
  try {
    const clock = value as Clock;
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof clock.now === 'function' &&
      typeof clock.setTimeout === 'function' &&
      typeof clock.clearTimeout === 'function'
    );
  } catch {
    return false; // a hostile object (a proxy whose traps throw) is no clock
  }
}

/** The clock used by scopes created without a `clock` option. */
export function getDefaultClock(): Clock {
  return runtime.clock ?? systemClock;
}

/**
 * Replaces the clock used by scopes created without a `clock` option; `undefined` restores the
 * system clock. Returns the previous one.
 */
export function setDefaultClock(clock: Clock | undefined): Clock {
  if (clock !== undefined && !isClock(clock)) {
    throw new TypeError(`clock must be a Clock (now, setTimeout, clearTimeout), got ${describeValue(clock)}`);
  }
  const previous = getDefaultClock();
  runtime.clock = clock;
  return previous;
}

/**
 * A timer armed for longer than {@link MAX_TIMER_DELAY}: it steps through as many maximal delays as
 * needed. What {@link setLongTimeout} returns for such delays (shorter ones get the clock's own handle).
 */
class SteppedTimer<T> {
  handle: TimerHandle;
  unrefed = false;
  constructor(
    readonly clock: Clock,
    readonly callback: (arg: T) => void,
    readonly arg: T,
    public remaining: number,
  ) {
    this.handle = undefined;
  }

  step(): void {
    const delay = this.remaining > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : this.remaining;
    this.remaining -= delay;
    this.handle = this.clock.setTimeout(stepTimer, delay, this as SteppedTimer<unknown>);
    if (this.unrefed) this.clock.unref?.(this.handle);
  }
}

function stepTimer(timer: SteppedTimer<unknown>): void {
  if (timer.remaining > 0) timer.step();
  else {
    timer.handle = undefined;
    timer.callback(timer.arg);
  }
}

/**
 * `clock.setTimeout(callback, ms, arg)` for any duration: delays above {@link MAX_TIMER_DELAY} (2³¹−1 ms,
 * about 24.8 days) are armed in steps instead of being clamped to 1 ms. Every timer the library arms
 * goes through here. On the system clock with the host's own timers, it uses the shared deadline queue
 * (one host timer per duration); `start` is when the delay counts from (a monotonic reading, default
 * now). Clear it with {@link clearLongTimeout}.
 */
export function setLongTimeout<T>(clock: Clock, callback: (arg: T) => void, ms: number, arg: T, start?: number): TimerHandle {
  if (ms <= MAX_TIMER_DELAY) {
    if (clock === systemClock && deadlineQueueUsable()) return armDeadline(callback, ms, arg, start);
    return clock.setTimeout(callback, ms, arg);
  }
  const timer = new SteppedTimer(clock, callback, arg, ms);
  timer.step();
  return timer;
}

/** Clears a timer armed by {@link setLongTimeout} (a no-op for one that fired or was cleared). */
export function clearLongTimeout(clock: Clock, handle: TimerHandle): void {
  if (handle instanceof Deadline) {
    clearDeadline(handle);
  } else if (handle instanceof SteppedTimer) {
    if (handle.handle !== undefined) clock.clearTimeout(handle.handle);
    handle.handle = undefined;
    handle.remaining = 0;
  } else if (handle !== undefined) {
    clock.clearTimeout(handle);
  }
}

/** Lets the process exit while only `handle` (from {@link setLongTimeout}) is pending, where the clock supports it. */
export function unrefLongTimeout(clock: Clock, handle: TimerHandle): void {
  if (handle instanceof Deadline) {
    unrefDeadline(handle);
    return;
  }
  if (clock.unref === undefined) return;
  if (handle instanceof SteppedTimer) {
    handle.unrefed = true;
    if (handle.handle !== undefined) clock.unref(handle.handle);
  } else if (handle !== undefined) {
    clock.unref(handle);
  }
}
