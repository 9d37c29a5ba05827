/**
 * The sources tests' clock: a thin adapter over the toolkit's `ManualClock` (cancelable-ts/testing) that
 * keeps the names these tests use. `advance(ms)` fires every timer that falls due, in due-time order,
 * synchronously (the toolkit's `advanceSync`); `tick(ms)` is `advance(ms)` then a few real event-loop
 * turns. It also records which timers were unref'd (the toolkit's `unref` is a no-op), so tests can
 * check that polling never keeps the process alive. Time starts at 1_700_000_000_000.
 */
import type { Clock, TimerHandle } from '../../src/index.js';
import { ManualClock as ToolkitClock } from '../../src/testing/index.js';
import { settle } from '../harness/leaks.js';

interface Pending {
  readonly at: number;
  unrefed: boolean;
}

export class ManualClock implements Clock {
  readonly #clock: ToolkitClock;
  /** The pending timers' due times and unref state: the toolkit clock keeps neither visible. */
  readonly #pending = new Map<TimerHandle, Pending>();

  constructor(start = 1_700_000_000_000) {
    this.#clock = new ToolkitClock({ now: start });
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const pending = this.#pending;
    const handle = this.#clock.setTimeout(
      (value: T) => {
        pending.delete(handle);
        callback(value);
      },
      ms,
      arg,
    );
    pending.set(handle, { at: this.#clock.now() + (ms > 0 && Number.isFinite(ms) ? ms : 0), unrefed: false });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle);
    this.#clock.clearTimeout(handle);
  }

  unref(handle: TimerHandle): void {
    const timer = this.#pending.get(handle);
    if (timer !== undefined) timer.unrefed = true;
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#clock.pendingTimers;
  }

  /** Pending timers that were not unref'd. */
  get refed(): number {
    let n = 0;
    for (const timer of this.#pending.values()) if (!timer.unrefed) n++;
    return n;
  }

  /** Delays of the pending timers, relative to now, ascending. */
  get delays(): number[] {
    const now = this.#clock.now();
    return [...this.#pending.values()].map((timer) => timer.at - now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order (synchronously). */
  advance(ms: number): void {
    this.#clock.advanceSync(ms);
  }

  /** `advance(ms)`, then lets promise reactions run. */
  async tick(ms = 0): Promise<void> {
    this.advance(ms);
    await settle(3);
  }
}

/** Lets pending promise reactions run (real macrotask turns, immune to fake timers). */
export async function flush(turns = 3): Promise<void> {
  await settle(turns);
}

/** A promise with its resolvers exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Handles `promise` at once (no unhandled rejection while a test drives the clock) and resolves
 * with its rejection reason; rejects if it fulfilled.
 */
export function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error as Error,
  );
}
