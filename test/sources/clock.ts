/**
 * A deterministic clock for the sources tests: implements the library's `Clock`; `advance(ms)`
 * fires every timer that falls due, in due-time order, moving `now()` to each timer's time. Records
 * which timers were unref'd, so tests can check that polling never keeps the process alive.
 */
import type { Clock, TimerHandle } from '../../src/index.js';
import { settle } from '../harness/leaks.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly run: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  readonly #unrefed = new Set<number>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), run: () => callback(arg) });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
    this.#unrefed.delete(handle as number);
  }

  unref(handle: TimerHandle): void {
    if (this.#timers.has(handle as number)) this.#unrefed.add(handle as number);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Pending timers that were not unref'd. */
  get refed(): number {
    let n = 0;
    for (const id of this.#timers.keys()) if (!this.#unrefed.has(id)) n++;
    return n;
  }

  /** Delays of the pending timers, relative to now, ascending. */
  get delays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing due timers in order (synchronously). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#unrefed.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.run();
    }
    this.#now = end;
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
