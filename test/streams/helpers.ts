/** Helpers shared by the stream tests. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Cancelable, Clock, TimerHandle } from '../../src/index.js';
import { settle } from '../harness/leaks.js';

/** Collects what is published on a diagnostics channel until `stop()`. */
export function listen<T = Record<string, unknown>>(name: string): { messages: T[]; stop: () => void } {
  const messages: T[] = [];
  const onMessage = (message: unknown): void => {
    messages.push(message as T);
  };
  subscribe(name, onMessage);
  return { messages, stop: () => void unsubscribe(name, onMessage) };
}

/** The promise's rejection reason (fails the test if it resolves). */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

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
 * Counts the cancellation listeners a scope holds on behalf of streams, by wrapping its (internal)
 * `addCancelListener`. Returns a function reading the live count.
 */
export function countListeners(scope: Cancelable): () => number {
  const original = scope.addCancelListener.bind(scope);
  let active = 0;
  scope.addCancelListener = (listener) => {
    active++;
    let removed = false;
    const off = original((error) => {
      if (!removed) {
        removed = true;
        active--;
      }
      listener(error);
    });
    return () => {
      if (!removed) {
        removed = true;
        active--;
      }
      off();
    };
  };
  return () => active;
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

/** A deterministic clock (implements the library's `Clock`): `advance(ms)` fires due timers in order. */
export class ManualClock implements Clock {
  #now = 1_700_000_000_000;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; run: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), run: () => callback(arg) });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order, letting promise reactions run after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= end && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.#timers.get(nextId) as { at: number; run: () => void };
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.at);
      timer.run();
      await flush();
    }
    this.#now = end;
  }
}
