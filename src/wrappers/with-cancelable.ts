import { runtime } from '../core/runtime.js';
import { Cancelable } from '../cancelable.js';
import { describeValue } from '../core/validate.js';
import {
  isDecoratorContext,
  type AsyncMethod,
  type CancelableFunction,
  type CancelableWrapper,
  type ScopedFunction,
} from './spec.js';

/** Runs `invoke` bound to `scope`: current scope, cancellation checked first, result raced. */
function runBound(scope: Cancelable, label: string, invoke: () => unknown): Promise<unknown> {
  const cancelError = scope.cancelError;
  if (cancelError !== undefined) return Promise.reject(cancelError);
  if (!scope.isRunning) {
    return Promise.reject(
      new TypeError(
        `${label}: scope '${scope.name}' (${scope.id}) is ${scope.status}; withCancelable() runs functions inside a running scope`,
      ),
    );
  }
  let result: unknown;
  try {
    result = runtime.storage.run(scope, invoke);
  } catch (error) {
    return Promise.reject(error);
  }
  return scope.race(result);
}

/**
 * Binds a function to an existing scope instead of creating one per call (the scope's lifecycle stays
 * with whoever runs it): each call runs `fn(scope, ...args)` with the scope as
 * {@link Cancelable.current} (scopes it starts are the scope's children), rejects at once if the scope
 * is cancelled, and otherwise settles with fn's outcome — or with the cancellation error as soon as the
 * scope is cancelled mid-call. Several functions bound to one scope share its cancellation.
 *
 * A call made while the scope is not running (not started yet, or ended without being cancelled)
 * rejects with a TypeError: the function would run outside any scope's control.
 *
 * Forms: `withCancelable(scope, fn)` returns the bound function; `withCancelable(scope)` returns a
 * wrapper, also usable as a method decorator (the method keeps its own arguments
 * and reaches the scope with `Cancelable.current()`).
 *
 * @example
 * ```ts
 * const pipeline = Cancelable.withTimeout(30_000, { name: 'pipeline' });
 * const fetchData = withCancelable(pipeline, async (scope, url: string) => {
 *   scope.reportProgress(`Fetching ${url}`);
 *   return (await fetch(url, { signal: scope.signal })).json();
 * });
 * await pipeline.run(async () => Promise.all(urls.map((url) => fetchData(url))));
 * ```
 */
export function withCancelable<A extends unknown[], R, This = unknown>(
  scope: Cancelable,
  fn: ScopedFunction<This, A, R>,
): CancelableFunction<This, A, R>;
export function withCancelable(scope: Cancelable): CancelableWrapper;
export function withCancelable(scope: Cancelable, fn?: unknown): unknown {
  if (!(scope instanceof Cancelable)) throw new TypeError(`scope must be a Cancelable, got ${describeValue(scope)}`);
  const bind = (body: ScopedFunction<unknown, unknown[], unknown>): CancelableFunction<unknown, unknown[], unknown> => {
    const bound = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      return runBound(scope, body.name || 'withCancelable', () => body.call(this, scope, ...args));
    };
    Object.defineProperty(bound, 'name', { value: body.name, configurable: true });
    return bound;
  };
  if (fn !== undefined) {
    if (typeof fn !== 'function') throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    return bind(fn as ScopedFunction<unknown, unknown[], unknown>);
  }
  const wrapper = (target: unknown, context?: unknown): unknown => {
    if (typeof target !== 'function') throw new TypeError(`fn must be a function, got ${describeValue(target)}`);
    if (context === undefined) return bind(target as ScopedFunction<unknown, unknown[], unknown>);
    if (!isDecoratorContext(context) || context.kind !== 'method') {
      throw new TypeError(`@withCancelable decorates class methods only, got ${describeValue(context)}`);
    }
    const method = target as AsyncMethod<unknown, unknown[], unknown>;
    const label = String(context.name);
    const replacement = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      return runBound(scope, label, () => method.apply(this, args));
    };
    Object.defineProperty(replacement, 'name', { value: method.name, configurable: true });
    return replacement;
  };
  return wrapper;
}
