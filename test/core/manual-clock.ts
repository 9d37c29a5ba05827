/**
 * The core tests' clock: a thin adapter over the toolkit's `ManualClock` (cancelable-ts/testing) that keeps
 * the names these tests use. `advance(ms)` fires every timer that falls due, in due-time order (ties in
 * arming order), synchronously (the toolkit's `advanceSync`); `tick(ms)` lets promise reactions run
 * before the first timer and after each one, as a real event loop would (the toolkit's `advance`).
 * Time starts at a realistic epoch (1_700_000_000_000) rather than the toolkit's 0.
 */
import type { Clock, TimerHandle } from '../../src/index.js';
import { ManualClock as ToolkitClock } from '../../src/testing/index.js';
import { settle } from '../harness/leaks.js';

export class ManualClock implements Clock {
  readonly #clock: ToolkitClock;
  /** Due time of each pending timer: the toolkit clock does not list them, `delays` needs them. */
  readonly #due = new Map<TimerHandle, number>();

  constructor(start = 1_700_000_000_000) {
    this.#clock = new ToolkitClock({ now: start });
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const due = this.#due;
    const handle = this.#clock.setTimeout(
      (value: T) => {
        due.delete(handle);
        callback(value);
      },
      ms,
      arg,
    );
    due.set(handle, this.#clock.now() + (ms > 0 && Number.isFinite(ms) ? ms : 0));
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#due.delete(handle);
    this.#clock.clearTimeout(handle);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#clock.pendingTimers;
  }

  /** The due times of the pending timers, relative to now, ascending. */
  get delays(): number[] {
    const now = this.#clock.now();
    return [...this.#due.values()].map((at) => at - now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order, synchronously one after the other. */
  advance(ms: number): void {
    this.#clock.advanceSync(ms);
  }

  /** Moves time forward by `ms`, letting promise reactions run before the first timer and after each. */
  async tick(ms = 0): Promise<void> {
    await this.#clock.advance(ms);
  }
}

/** Lets pending promise reactions run: a few real macrotask turns (immune to fake timers). */
export async function flush(turns = 3): Promise<void> {
  await settle(turns);
}
