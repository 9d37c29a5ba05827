/**
 * The one await primitive: a wait that the scope's cancellation rejects at once. `sleep`, `race`,
 * `waitForCancel`, streams, workers and processes all build on it. A wait registers one entry in the
 * scope's waiter set and removes it when it settles; the set is handed over (and dropped) when the
 * scope is cancelled or ends, so a wait that never settles (a race against a promise that never
 * does) holds the set, not the scope.
 */
import { clearLongTimeout, setLongTimeout, type TimerHandle } from '../clock.js';
import type { CancelationError } from '../errors.js';
import { isThenable, noop } from '../promise.js';
import { runtime } from '../runtime.js';
import type { CancelScope } from './cancel-scope.js';
import { DONE } from './phases.js';
import { WaiterSet, type Waiter } from './waiter-set.js';

/**
 * What the reactions on a raced promise hold: the wait, until it settles or its scope ends. A promise
 * that never settles keeps its reactions for ever; through this link they keep nothing after that.
 */
interface RaceLink<T> {
  wait: Wait<T> | undefined;
}

/** The waiter set of a running scope, created on first use; undefined once cancelled or ended. */
function waitersOf(scope: CancelScope): WaiterSet | undefined {
  if (scope._cancelError !== undefined || scope._phase >= DONE) return undefined;
  return (scope._waiters ??= new WaiterSet());
}

class Listener implements Waiter {
  constructor(
    readonly listener: (error: CancelationError) => void,
    public set: WaiterSet | undefined,
  ) {}
  cancelled(error: CancelationError): void {
    this.set = undefined;
    this.listener(error);
  }
  off(): void {
    this.set?.delete(this);
    this.set = undefined;
  }
}

/**
 * Calls `listener(error)` once, synchronously, when `scope` is cancelled (at once if it already is).
 * Returns a function that unsubscribes. The listener must not throw.
 */
export function listen(scope: CancelScope, listener: (error: CancelationError) => void): () => void {
  const error = scope._cancelError;
  if (error !== undefined) {
    listener(error);
    return noop;
  }
  const set = waitersOf(scope);
  if (set === undefined) return noop; // ended without being cancelled: it never will be
  const entry = new Listener(listener, set);
  set.add(entry);
  return () => entry.off();
}

// Captures a promise's resolvers without a closure per wait.
let capturedResolve: (value: unknown) => void = noop;
let capturedReject: (error: unknown) => void = noop;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** One pending wait: its own promise, rejected at once when the scope is cancelled. */
class Wait<T> implements Waiter {
  readonly promise: Promise<T>;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;
  #set: WaiterSet | undefined;
  timer: TimerHandle;
  readonly scope: CancelScope | undefined;
  /** Set by `race`: cut when the wait settles or its scope ends. */
  link: RaceLink<T> | undefined = undefined;

  constructor(set: WaiterSet, scope: CancelScope | undefined) {
    this.promise = new Promise<T>(capture as (resolve: (value: T) => void, reject: (error: unknown) => void) => void);
    this.#resolve = capturedResolve;
    this.#reject = capturedReject;
    capturedResolve = capturedReject = noop;
    this.#set = set;
    this.scope = scope;
    set.add(this);
  }

  cancelled(error: CancelationError): void {
    if (this.#set === undefined) return;
    this.#set = undefined;
    this.#clearTimer();
    this.#cutLink();
    this.#reject(error);
  }

  ended(): void {
    // A race still pending when its scope ends stays pending, but its promise no longer holds it.
    this.#cutLink();
  }

  #cutLink(): void {
    const link = this.link;
    if (link === undefined) return;
    link.wait = undefined;
    this.link = undefined;
  }

  fulfil(value: T): void {
    if (!this.#release()) return;
    this.#resolve(value);
  }

  fail(error: unknown): void {
    if (!this.#release()) return;
    this.#reject(error);
  }

  #release(): boolean {
    const set = this.#set;
    if (set === undefined) return false;
    this.#set = undefined;
    set.delete(this);
    this.#clearTimer();
    this.#cutLink();
    return true;
  }

  #clearTimer(): void {
    if (this.timer === undefined || this.scope === undefined) return;
    clearLongTimeout(this.scope._clock, this.timer);
    this.timer = undefined;
  }
}

function wake(wait: Wait<void>): void {
  wait.timer = undefined;
  wait.fulfil(undefined);
}

/** Waits `ms` (any duration); rejects with the cancellation error as soon as the scope is cancelled. */
export function sleep(scope: CancelScope, ms: number): Promise<void> {
  const error = scope._cancelError;
  if (error !== undefined) return Promise.reject(error);
  const set = waitersOf(scope);
  const wait = new Wait<void>(set ?? new WaiterSet(), scope);
  // Always a real timer, even for 0: a loop of sleep(0) must not starve the event loop.
  wait.timer = setLongTimeout(scope._clock, wake, ms, wait);
  return wait.promise;
}

/**
 * Waits for `promise`; rejects with the cancellation error as soon as the scope is cancelled. The
 * promise's later rejection is handled. The reactions reference the wait only, never the scope.
 */
export function race<T>(scope: CancelScope, promise: PromiseLike<T> | T): Promise<T> {
  const thenable = isThenable(promise);
  const error = scope._cancelError;
  if (error !== undefined) {
    if (thenable) (promise).then(undefined, noop);
    return Promise.reject(error);
  }
  if (!thenable) return Promise.resolve(promise);
  const set = waitersOf(scope);
  if (set === undefined) return Promise.resolve(promise); // ended without a cancellation: plain await
  const wait = new Wait<T>(set, undefined);
  const link: RaceLink<T> = { wait };
  wait.link = link;
  // A promise that never settles keeps its reactions for ever: they hold the link (cut when the wait
  // settles or the scope ends), never the wait. And they are subscribed outside the scope's async
  // context: the promise `then` derives keeps the context it was created in (issue 16 #3).
  const storage = runtime.storage;
  if (storage.getStore() === undefined) subscribe(promise, link);
  else storage.run(NO_CONTEXT, subscribe, promise, link);
  return wait.promise;
}

// The store `race` subscribes in: no scope.
const NO_CONTEXT = undefined as unknown as object;

function subscribe<T>(promise: PromiseLike<T>, link: RaceLink<T>): void {
  try {
    promise.then(
      (value) => link.wait?.fulfil(value),
      (failure: unknown) => link.wait?.fail(failure),
    );
  } catch (failure) {
    link.wait?.fail(failure); // a foreign thenable whose then() throws
  }
}

/** The scope ended without a cancellation: pending waits let go of what they wait on. */
export function waitersEnded(scope: CancelScope): void {
  const set = scope._waiters;
  scope._waiters = undefined;
  set?.ended();
}

/** `fn`, run in `scope`: checks cancellation before it runs and races its result. */
export function wrap<A extends unknown[], R>(
  scope: CancelScope,
  fn: (...args: A) => R | PromiseLike<R>,
): (...args: A) => Promise<R> {
  return (...args: A): Promise<R> => {
    const error = scope._cancelError;
    if (error !== undefined) return Promise.reject(error);
    let result: R | PromiseLike<R>;
    try {
      result = runtime.storage.run(scope, fn, ...args);
    } catch (failure) {
      return Promise.reject(failure);
    }
    return race(scope, result);
  };
}

/** Resolves with the cancellation error once the scope is cancelled, by any source; never rejects. */
export function waitForCancel(scope: CancelScope): Promise<CancelationError> {
  const error = scope._cancelError;
  if (error !== undefined) return Promise.resolve(error);
  const set = waitersOf(scope) ?? new WaiterSet(); // ended uncancelled: never resolves, holds nothing
  const wait = new Wait<CancelationError>(set, undefined);
  return wait.promise.then(undefined, (cancelError: CancelationError) => cancelError);
}
