import { Cancelable } from '../cancelable.js';
import type { ConditionPredicate } from '../sources/condition.js';
import {
  compileSpec,
  makeWrapper,
  wrapFunction,
  type CancelableFunction,
  type CancelableWrapper,
  type CancelableWrapperOptions,
  type ScopedFunction,
} from './spec.js';

/** Options of {@link cancelableWithCondition}. */
export interface ConditionWrapperOptions extends CancelableWrapperOptions {
  /** The condition's name, in the cancellation message and `ConditionCancelation.conditionName`. */
  conditionName?: string;
}

/**
 * {@link cancelable} with a polled condition: every call runs in its own scope (built by
 * `Cancelable.withCondition`) that checks `predicate()` (sync or async) at start and every
 * `intervalMs` (default 100), and is cancelled with a `ConditionCancelation` once it returns true.
 * Each call polls on its own: a predicate that reads shared state stops every call in flight.
 *
 * Forms: `cancelableWithCondition(predicate, intervalMs, fn, options?)` returns the wrapped function;
 * `cancelableWithCondition(predicate, intervalMs, options?)` returns a wrapper, also usable as a
 * method decorator.
 *
 * @example
 * ```ts
 * const controller = { shouldStop: false };
 * const runJob = cancelableWithCondition(() => controller.shouldStop, 1_000, async (scope, job: Job) => {
 *   for (const task of job.tasks) await scope.race(task.run());
 * }, { conditionName: 'stop flag' });
 * ```
 */
export function cancelableWithCondition<A extends unknown[], R, This = unknown>(
  predicate: ConditionPredicate,
  intervalMs: number | undefined,
  fn: ScopedFunction<This, A, R>,
  options?: ConditionWrapperOptions,
): CancelableFunction<This, A, R>;
export function cancelableWithCondition(
  predicate: ConditionPredicate,
  intervalMs?: number,
  options?: ConditionWrapperOptions,
): CancelableWrapper;
export function cancelableWithCondition(
  predicate: ConditionPredicate,
  intervalMs?: number,
  third?: unknown,
  fourth?: unknown,
): unknown {
  const interval = intervalMs === undefined ? 100 : intervalMs; // null is bad input, reported as intervalMs
  const spec = compileSpec(typeof third === 'function' ? fourth : third, undefined, (options) =>
    Cancelable.withCondition(predicate, interval, options),
  );
  if (typeof third === 'function') return wrapFunction(spec, third as ScopedFunction<unknown, unknown[], unknown>);
  return makeWrapper(spec, 'cancelableWithCondition');
}
