import { runtime } from './runtime.js';
import { describeValue } from './validate.js';

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
}

/** The real clock. Reads the global timer functions at call time (see {@link Clock}). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms, arg) => globalThis.setTimeout(callback, ms, arg),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  unref: (handle) => {
    (handle as { unref?: () => void } | undefined)?.unref?.();
  },
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
