import { describeValue } from '../core/validate.js';
import {
  compileSpec,
  decorateMethod,
  isDecoratorContext,
  makeWrapper,
  wrapFunction,
  type AsyncMethod,
  type CancelableFunction,
  type CancelableWrapper,
  type CancelableWrapperOptions,
  type ScopedFunction,
} from './spec.js';

/**
 * Makes a function cancelable: each call runs `fn(scope, ...args)` in its own new scope (its own id,
 * so concurrent calls never collide), which is also {@link Cancelable.current} for everything the call
 * does. The returned function takes the same arguments without the scope and returns a promise that
 * settles like the scope's `run()` (SPEC §3): the value, the scope's cancellation error, or fn's error.
 *
 * Forms:
 * - `cancelable(options, fn)` and `cancelable(fn)`: the wrapped function.
 * - `cancelable(options)`: a wrapper to apply to functions later, which is also a method decorator.
 * - `@cancelable(options)` / `@cancelable` on an async class method (TC39 decorators, TypeScript 5):
 *   each call of the method runs in its own scope named `ClassName.method`, reachable as
 *   `Cancelable.current()` (a decorator cannot add a parameter to a method's type).
 *
 * Options (validated here, not at the first call): everything a scope takes except `id` (`name` — by
 * default the function's name —, `parent`, `register`, `sources`, `metadata` — copied per call —,
 * `graceMs`, `clock`, `logger`), plus `timeout`, `deadline`, `token` and `abortSignal`, which become
 * sources of every call's scope. Sources are shared by the calls: built-in sources serve any number of
 * scopes at once, a custom `CancelationSource` one call at a time.
 *
 * @example
 * ```ts
 * const fetchUser = cancelable({ timeout: 5_000, register: true }, async (scope, id: string) => {
 *   const response = await fetch(`/users/${id}`, { signal: scope.signal });
 *   return (await response.json()) as User;
 * });
 * const user = await fetchUser('42'); // (id: string) => Promise<User>
 *
 * class Importer {
 *   @cancelable({ timeout: 60_000 })
 *   async run(file: string): Promise<number> {
 *     const scope = Cancelable.current()!; // 'Importer.run'
 *     return importRows(file, scope.signal);
 *   }
 * }
 * ```
 */
export function cancelable<This, A extends unknown[], R>(
  method: AsyncMethod<This, A, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
): AsyncMethod<This, A, R>;
export function cancelable<A extends unknown[], R, This = unknown>(
  options: CancelableWrapperOptions | undefined,
  fn: ScopedFunction<This, A, R>,
): CancelableFunction<This, A, R>;
export function cancelable<A extends unknown[], R, This = unknown>(
  fn: ScopedFunction<This, A, R>,
): CancelableFunction<This, A, R>;
export function cancelable(options?: CancelableWrapperOptions): CancelableWrapper;
export function cancelable(first?: unknown, second?: unknown): unknown {
  if (typeof first === 'function') {
    const spec = compileSpec(undefined);
    if (isDecoratorContext(second)) {
      return decorateMethod(spec, first as AsyncMethod<unknown, unknown[], unknown>, second, 'cancelable');
    }
    if (second !== undefined) {
      throw new TypeError(
        `cancelable(fn) takes no second argument; give options first: cancelable(options, fn) (got ${describeValue(second)})`,
      );
    }
    return wrapFunction(spec, first as ScopedFunction<unknown, unknown[], unknown>);
  }
  const spec = compileSpec(first);
  if (second === undefined) return makeWrapper(spec, 'cancelable');
  if (isDecoratorContext(second)) {
    throw new TypeError('cancelable(options) must be called before it decorates: write @cancelable({ ... })');
  }
  return wrapFunction(spec, second as ScopedFunction<unknown, unknown[], unknown>);
}
