import { getDefaultClock, isClock, type Clock } from '../core/clock.js';
import { Cancelable } from '../cancelable.js';
import { checkDuration, checkKnownKeys, describeValue } from '../core/validate.js';
import { TimedIterator, type TimedStep } from './timed-iterator.js';

/** Options of {@link createSlowStream}. */
export interface SlowStreamOptions {
  /** A pending delay rejects at once with this scope's cancellation error; its clock is the default. */
  scope?: Cancelable;
  /** The clock the delays run on. Default: `scope.clock`, else the default clock. */
  clock?: Clock;
  /** A pending delay rejects at once with `signal.reason` when it aborts. */
  signal?: AbortSignal;
  /** Wait `delayMs` before the first item too. Default `false` (the first item comes at once). */
  delayFirst?: boolean;
}

/**
 * An async stream made by {@link createSlowStream}: a plain `AsyncIterableIterator` that also tells
 * how it was consumed.
 */
export interface SlowStream<T> extends AsyncIterableIterator<T> {
  /** Items handed out so far. */
  readonly yielded: number;
  /** Whether the stream is closed (exhausted, `return()`ed, thrown into, or cancelled). */
  readonly closed: boolean;
  /** How many times `return()` was called: a consumer that stops early must call it. */
  readonly returnCalls: number;
  /** Closes the stream; takes effect at once, even while a `next()` is pending (which resolves done). */
  return(value?: unknown): Promise<IteratorResult<T>>;
  /** Closes the stream and rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T>>;
}

/**
 * A stream of `items` with `delayMs` between them, on a clock (instant under a {@link ManualClock}).
 * `items` is read lazily, so an endless generator makes an endless stream. Unlike an async generator,
 * its `return()` takes effect while a `next()` is pending, and with a scope (or signal) a pending
 * delay rejects as soon as it is cancelled: use it as a well-behaved source, and wrap it to build
 * badly-behaved ones.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const scope = Cancelable.withTimeout(250, { clock });
 * const run = scope.run(async (s) => {
 *   const seen: number[] = [];
 *   for await (const n of createSlowStream([1, 2, 3, 4, 5], 100, s)) seen.push(n);
 *   return seen;
 * });
 * await clock.advance(250);
 * await expect(run).rejects.toThrow('timed out'); // items 1, 2, 3 were seen
 * ```
 */
export function createSlowStream<T>(
  items: Iterable<T>,
  delayMs = 100,
  scopeOrOptions?: Cancelable | SlowStreamOptions,
): SlowStream<T> {
  if (items === null || items === undefined || typeof (items as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`items must be an iterable (an array, a Set, a generator...), got ${describeValue(items)}`);
  }
  checkDuration('delayMs', delayMs);
  const options: SlowStreamOptions =
    scopeOrOptions instanceof Cancelable ? { scope: scopeOrOptions } : checkSlowOptions(scopeOrOptions);
  const clock = options.clock ?? options.scope?.clock ?? getDefaultClock();
  const delayFirst = options.delayFirst === true;
  function* steps(): Generator<TimedStep<T>> {
    let first = true;
    for (const value of items) {
      yield { delayMs: first && !delayFirst ? 0 : delayMs, value };
      first = false;
    }
  }
  return new TimedIterator(steps(), { clock, scope: options.scope, signal: options.signal });
}

function checkSlowOptions(options: SlowStreamOptions | undefined): SlowStreamOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`the third argument must be a Cancelable or an options object, got ${describeValue(options)}`);
  }
  checkKnownKeys('options', options, new Set(['scope', 'clock', 'signal', 'delayFirst']));
  if (options.scope !== undefined && !(options.scope instanceof Cancelable)) {
    throw new TypeError(`options.scope must be a Cancelable, got ${describeValue(options.scope)}`);
  }
  const clock = options.clock;
  if (clock !== undefined && !isClock(clock)) {
    throw new TypeError(`options.clock must be a Clock, got ${describeValue(clock)}`);
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return options;
}
