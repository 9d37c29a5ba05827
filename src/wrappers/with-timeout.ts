import { Cancelable } from '../cancelable.js';
import type { CancelableOptions } from '../core/index.js';
import { isThenable, noop } from '../core/promise.js';
import { checkDuration, checkOptions, describeValue } from '../core/validate.js';


/**
 * Runs something under a timeout, now (unlike {@link cancelable}, which wraps a function for later):
 * - a promise: resolves with its value, or rejects with a `TimeoutCancelation` after `ms`
 *   milliseconds. The work behind the promise is not stopped (it has no signal to observe); its later
 *   rejection is handled, never an unhandled rejection. Prefer the function form for work you own.
 * - a function: runs `fn(scope)` in a new scope cancelled after `ms` milliseconds, and settles like
 *   `scope.run()` (SPEC §3); hand `scope.signal` to fetch, streams and timers so they stop too.
 *
 * `options` are a scope's options (`name` defaults to the function's name).
 *
 * @example
 * ```ts
 * const config = await withTimeout(2_000, readConfig());
 * const page = await withTimeout(5_000, async (scope) => {
 *   const response = await fetch(url, { signal: scope.signal });
 *   return response.text();
 * });
 * ```
 */
export function withTimeout<T>(ms: number, promise: PromiseLike<T>, options?: CancelableOptions): Promise<T>;
export function withTimeout<R>(
  ms: number,
  fn: (scope: Cancelable) => R,
  options?: CancelableOptions,
): Promise<Awaited<R>>;
export function withTimeout(ms: number, promiseOrFn: unknown, options?: CancelableOptions): Promise<unknown> {
  const thenable = isThenable(promiseOrFn);
  // We own the promise from here on: never let its rejection go unhandled, even if we throw below.
  if (thenable) promiseOrFn.then(undefined, noop);
  checkDuration('ms', ms);
  checkOptions('options', options);
  if (thenable) {
    return Cancelable.withTimeout(ms, options).run((scope) => scope.race(promiseOrFn));
  }
  if (typeof promiseOrFn !== 'function') {
    throw new TypeError(`promiseOrFn must be a promise or a function, got ${describeValue(promiseOrFn)}`);
  }
  const fn = promiseOrFn as (scope: Cancelable) => unknown;
  const named = options?.name === undefined && fn.name !== '' ? { ...options, name: fn.name } : options;
  return Cancelable.withTimeout(ms, named).run(fn);
}
