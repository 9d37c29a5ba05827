import { Cancelable, type CombineItem } from '../cancelable.js';
import { describeValue } from '../core/validate.js';
import {
  compileSpec,
  makeWrapper,
  wrapFunction,
  type CancelableFunction,
  type CancelableWrapper,
  type CancelableWrapperOptions,
  type ScopedFunction,
} from './spec.js';

/**
 * {@link cancelable} with several inputs combined: every call runs in its own scope holding every
 * source and token of every input (scopes, sources, tokens, AbortSignals — as `Cancelable.combine`);
 * the first to fire cancels the call, with its own reason and message (the earliest timeout wins).
 *
 * The inputs are read at each call, so sources added to an input scope later count, and an input
 * scope's token (`input.token.cancel()`) reaches the calls in flight. An input scope is a template:
 * its own `cancel()` is not seen by the calls — cancel its token instead.
 *
 * Forms: `cancelableCombine(items, fn, options?)` returns the wrapped function;
 * `cancelableCombine(items, options?)` returns a wrapper, also usable as a method decorator.
 *
 * @example
 * ```ts
 * const stop = new CancelationToken();
 * const sync = cancelableCombine(
 *   [Cancelable.withTimeout(60_000), Cancelable.withToken(stop), new ConditionSource(diskFull, 5_000)],
 *   async (scope, folder: string) => copyAll(folder, scope.signal),
 * );
 * ```
 */
export function cancelableCombine<A extends unknown[], R, This = unknown>(
  items: readonly CombineItem[],
  fn: ScopedFunction<This, A, R>,
  options?: CancelableWrapperOptions,
): CancelableFunction<This, A, R>;
export function cancelableCombine(items: readonly CombineItem[], options?: CancelableWrapperOptions): CancelableWrapper;
export function cancelableCombine(items: readonly CombineItem[], second?: unknown, third?: unknown): unknown {
  if (!Array.isArray(items)) throw new TypeError(`items must be an array, got ${describeValue(items)}`);
  const inputs = (items as readonly CombineItem[]).slice();
  const spec = compileSpec(typeof second === 'function' ? third : second, undefined, (options) =>
    Cancelable.combine(inputs, options),
  );
  if (typeof second === 'function') return wrapFunction(spec, second as ScopedFunction<unknown, unknown[], unknown>);
  return makeWrapper(spec, 'cancelableCombine');
}
