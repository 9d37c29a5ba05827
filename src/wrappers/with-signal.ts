import { Cancelable } from '../cancelable.js';
import { describeValue } from '../core/validate.js';
import type { SignalSourceOptions } from '../sources/signal.js';
import type { SignalName } from '../sources/signal-names.js';
import {
  compileSpec,
  makeWrapper,
  wrapFunction,
  type CancelableFunction,
  type CancelableWrapper,
  type CancelableWrapperOptions,
  type ScopedFunction,
} from './spec.js';

/** Options of {@link cancelableWithSignal}. */
export interface SignalWrapperOptions extends CancelableWrapperOptions, Pick<SignalSourceOptions, 'exitOnSecondSignal'> {}

/** One OS signal name, or several. An empty list means the platform's defaults (`SIGINT` and `SIGTERM`). */
export type SignalList = SignalName | readonly SignalName[];

function signalArray(signals: unknown): SignalName[] {
  if (typeof signals === 'string') return [signals as SignalName];
  if (Array.isArray(signals)) {
    signals.forEach((signal: unknown, index) => {
      if (typeof signal !== 'string') {
        throw new TypeError(`signals[${index}] must be a signal name such as 'SIGINT', got ${describeValue(signal)}`);
      }
    });
    return signals.slice() as SignalName[];
  }
  throw new TypeError(`signals must be a signal name or an array of them, got ${describeValue(signals)}`);
}

/**
 * {@link cancelable} with OS signals: every call runs in its own scope (built by
 * `Cancelable.withSignal`), cancelled with a `SignalCancelation` when the process receives one of
 * `signals`. Listeners exist only while calls run; while one runs, Node's default exit on those signals
 * is suspended (see `SignalSource`).
 *
 * Forms: `cancelableWithSignal(signals, fn, options?)` returns the wrapped function;
 * `cancelableWithSignal(signals, options?)` returns a wrapper, also usable as a method decorator.
 *
 * @example
 * ```ts
 * const serve = cancelableWithSignal(['SIGINT', 'SIGTERM'], async (scope, port: number) => {
 *   const server = startServer(port);
 *   try { await scope.race(new Promise(() => {})); }
 *   finally { await scope.shield(() => server.close(), { timeout: 5_000 }); }
 * });
 * await serve(8080).catch((error) => { if (!isCancelation(error)) throw error; });
 * ```
 */
export function cancelableWithSignal<A extends unknown[], R, This = unknown>(
  signals: SignalList,
  fn: ScopedFunction<This, A, R>,
  options?: SignalWrapperOptions,
): CancelableFunction<This, A, R>;
export function cancelableWithSignal(signals: SignalList, options?: SignalWrapperOptions): CancelableWrapper;
export function cancelableWithSignal(signals: SignalList, second?: unknown, third?: unknown): unknown {
  const list = signalArray(signals);
  const spec = compileSpec(typeof second === 'function' ? third : second, undefined, (options) =>
    Cancelable.withSignal(...list, options),
  );
  if (typeof second === 'function') return wrapFunction(spec, second as ScopedFunction<unknown, unknown[], unknown>);
  return makeWrapper(spec, 'cancelableWithSignal');
}
