/** Helpers shared by the stream tests. */
import type { Cancelable } from '../../src/index.js';

import { settle } from '../harness/leaks.js';

export { listen, rejection } from '../core/helpers.js';
// `tick(ms)` fires due timers in order, letting promise reactions run before the first and after each.
export { ManualClock } from '../core/manual-clock.js';

/** Tracks whether a promise has settled, without ever leaving its rejection unhandled. */
export function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/** Lets pending promise reactions run (real macrotask turns, immune to fake timers). */
export function flush(turns = 3): Promise<void> {
  return settle(turns);
}

/** A promise that never settles. */
export function never<T = never>(): Promise<T> {
  return new Promise<T>(() => {});
}

/**
 * Counts the cancellation listeners a scope holds (for streams: one per open stream), reading the
 * kernel's waiter set. Returns a function reading the live count (0 once the scope is cancelled or
 * ended: the set is dropped then).
 */
export function countListeners(scope: Cancelable): () => number {
  return () => scope._waiters?.size ?? 0;
}

/** What a source saw: its pulls, whether `return()` ran, whether its `finally` ran. */
export interface Probe {
  pulls: number;
  returned: number;
  finallyRan: boolean;
}

export function probe(): Probe {
  return { pulls: 0, returned: 0, finallyRan: false };
}

/** An async generator of `0..n-1` that counts its pulls and records its `finally`. */
export async function* counting(n: number, p: Probe): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      p.pulls++;
      yield i;
    }
  } finally {
    p.finallyRan = true;
  }
}

/** An async generator that yields `first` items then never yields again (its `finally` is recorded). */
export async function* stalling(first: number, p: Probe): AsyncGenerator<number> {
  try {
    for (let i = 0; i < first; i++) {
      p.pulls++;
      yield i;
    }
    p.pulls++;
    await never();
  } finally {
    p.finallyRan = true;
  }
}

/**
 * A hand-written async iterator over `0..n-1` (or endless) whose `return()` is given: counts calls,
 * and can throw, reject or hang.
 */
export function customIterator(
  n: number,
  p: Probe,
  onReturn: () => Promise<IteratorResult<number>> | IteratorResult<number> = () => ({ done: true, value: undefined }),
  stallAt = Infinity,
): AsyncIterable<number> & AsyncIterator<number> {
  let i = 0;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next(): Promise<IteratorResult<number>> {
      p.pulls++;
      if (i >= stallAt) return never();
      if (i >= n) return Promise.resolve({ done: true, value: undefined });
      return Promise.resolve({ done: false, value: i++ });
    },
    return(): Promise<IteratorResult<number>> {
      p.returned++;
      return Promise.resolve().then(onReturn);
    },
  };
}
