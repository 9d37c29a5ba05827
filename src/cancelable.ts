/**
 * `Cancelable`: the scope users create. The kernel (`CancelScope`, in core/) plus what sits above the
 * sources: the factories, `combine` and `stream`.
 */
import {
  CancelScope,
  CancelationSource,
  CancelationToken,
  checkDuration,
  checkKnownKeys,
  checkOptions,
  DeadlineSource,
  describeValue,
  scopeOptionKeys,
  TimeoutSource,
  type CancelableOptions,
} from './core/index.js';
import { AbortSignalSource, isAbortSignal } from './sources/abort-signal.js';
import { conditionScopeParts, type ConditionPredicate, type WithConditionOptions } from './sources/condition.js';
import { signalScopeParts, type WithSignalArgs } from './sources/signal.js';
import { TokenSource } from './sources/token.js';
import { cancelableStream, type CancelableStreamOptions, type StreamSource } from './streams/cancelable-stream.js';
import type { CancelableAsyncIterator } from './streams/iterator.js';

/** Anything {@link Cancelable.combine} accepts. */
export type CombineItem = CancelScope | CancelationSource | CancelationToken | AbortSignal;

/**
 * A cancel scope: runs a body, and cancels it when one of its sources fires (a timeout, a token, an OS
 * signal, a condition...), when `cancel()` is called, or when its parent is cancelled.
 *
 * JavaScript cannot interrupt an `await`, so cancellation reaches the body through the awaits the
 * scope hands out — `sleep`, `race`, streams, and `signal` for fetch, timers and streams — which
 * reject at once, and `run()` never waits on a body that ignores cancellation for longer than
 * `graceMs`.
 *
 * @example
 * ```ts
 * const data = await Cancelable.withTimeout(2_000, { name: 'fetch' }).run(async (scope) => {
 *   const response = await fetch(url, { signal: scope.signal });
 *   return response.json();
 * });
 * ```
 */
export class Cancelable<P = unknown> extends CancelScope<P> {
  /**
   * The innermost running scope of the current async context, or `undefined`.
   * @example
   * ```ts
   * async function step() { Cancelable.current()?.throwIfCancelled(); }
   * ```
   */
  static override current(): Cancelable | undefined {
    return CancelScope.current() as Cancelable | undefined;
  }

  /** The parent scope, once started. */
  override get parent(): Cancelable | undefined {
    return super.parent as Cancelable | undefined;
  }

  /**
   * A scope cancelled `ms` milliseconds after it starts, with a `TimeoutCancelation`.
   * @example
   * ```ts
   * await Cancelable.withTimeout(2_000).run((scope) => scope.sleep(5_000)); // rejects after 2 s
   * ```
   */
  static withTimeout(ms: number, options?: CancelableOptions): Cancelable {
    const source = new TimeoutSource(checkDuration('ms', ms));
    if (options === undefined) {
      // No options (the common, hot case): no options object to build and check, and the source is
      // known to be one (addSource would check it again).
      const scope = new Cancelable();
      scope._sources = [source];
      return scope;
    }
    return new Cancelable(withSource(options, source));
  }

  /**
   * A scope cancelled at an absolute time (a `Date` or epoch milliseconds).
   * @example
   * ```ts
   * await Cancelable.withDeadline(new Date(Date.now() + 60_000)).run(job);
   * ```
   */
  static withDeadline(deadline: Date | number, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new DeadlineSource(deadline)));
  }

  /**
   * A scope cancelled when `token` is cancelled, with the token's reason and message.
   * @example
   * ```ts
   * const token = new CancelationToken();
   * const run = Cancelable.withToken(token).run(job);
   * await token.cancel('User clicked Stop');
   * ```
   */
  static withToken(token: CancelationToken, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new TokenSource(token)));
  }

  /**
   * A scope cancelled when the process receives one of `signals` (default `SIGINT` and `SIGTERM`);
   * a trailing options object may follow the signal names.
   * @example
   * ```ts
   * await Cancelable.withSignal('SIGINT', 'SIGTERM', { name: 'server' }).run(serve);
   * ```
   */
  static withSignal(...args: WithSignalArgs): Cancelable {
    const { source, options } = signalScopeParts(args);
    return new Cancelable(withSource(options, source));
  }

  /**
   * A scope cancelled when `predicate()` (sync or async) returns true, checked every `intervalMs`
   * (first check at start).
   * @example
   * ```ts
   * await Cancelable.withCondition(() => diskFull(), 5_000, { name: 'copy' }).run(copyFiles);
   * ```
   */
  static withCondition(predicate: ConditionPredicate, intervalMs = 100, options?: WithConditionOptions): Cancelable {
    const parts = conditionScopeParts(predicate, intervalMs, options);
    return new Cancelable(withSource(parts.options, parts.source));
  }

  /**
   * A scope cancelled when a foreign AbortSignal aborts (see `AbortSignalSource`).
   * @example
   * ```ts
   * app.get('/report', (req, res) => Cancelable.withAbortSignal(req.signal).run(buildReport));
   * ```
   */
  static withAbortSignal(signal: AbortSignal, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new AbortSignalSource(signal)));
  }

  /**
   * A scope holding every source of `items` (scopes, sources, tokens, AbortSignals): the first to
   * fire cancels it, with its own reason and message; with several timeouts the earliest wins.
   * @example
   * ```ts
   * const scope = Cancelable.combine([new TimeoutSource(600_000), token, AbortSignal.timeout(5_000)]);
   * ```
   */
  static combine(items: readonly CombineItem[], options?: CancelableOptions): Cancelable {
    if (!Array.isArray(items)) throw new TypeError(`items must be an array, got ${describeValue(items)}`);
    checkKnownKeys('options', options, scopeOptionKeys);
    const given = options?.sources;
    if (given !== undefined && !Array.isArray(given)) {
      throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(given)}`);
    }
    const sources: CancelationSource[] = given?.slice() ?? [];
    // Array.from: a hole is a bad (undefined) item, not skipped.
    Array.from(items as unknown[]).forEach((item, index) => {
      if (item instanceof CancelScope) {
        sources.push(...item.sources);
        // Its token too, even if not read yet: cancelling `item.token` later must cancel the union.
        sources.push(new TokenSource(item.token));
      } else if (item instanceof CancelationSource) sources.push(item);
      else if (item instanceof CancelationToken) sources.push(new TokenSource(item));
      else if (isAbortSignal(item)) sources.push(new AbortSignalSource(item));
      else {
        throw new TypeError(
          `items[${index}] must be a Cancelable, CancelationSource, CancelationToken or AbortSignal, got ${describeValue(item)}`,
        );
      }
    });
    return new Cancelable({ name: 'combined', ...options, sources });
  }

  /**
   * A new scope holding this scope's sources and token and those of `others` (see the static form).
   * @example
   * ```ts
   * const both = Cancelable.withTimeout(5_000).combine(Cancelable.withSignal());
   * ```
   */
  combine(...others: CombineItem[]): Cancelable {
    return Cancelable.combine([this, ...others], { name: this.name });
  }

  /**
   * Iterates `source` (any AsyncIterable or Iterable, a web ReadableStream, a Node Readable) so that a
   * pending `next()` rejects as soon as the scope is cancelled, and the source is closed on every exit.
   * @example
   * ```ts
   * for await (const chunk of scope.stream(llm.generate(prompt))) process.stdout.write(chunk);
   * ```
   */
  stream<T>(source: StreamSource<T>, options?: CancelableStreamOptions<T>): CancelableAsyncIterator<T> {
    return cancelableStream(source, this, options);
  }
}

/** The options with `source` added to their sources (checked: a bad options object throws here). */
function withSource(options: CancelableOptions | undefined, source: CancelationSource): CancelableOptions {
  checkOptions('options', options);
  const sources = options?.sources;
  if (sources !== undefined && !Array.isArray(sources)) {
    throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(sources)}`);
  }
  return { ...options, sources: sources === undefined ? [source] : [...sources, source] };
}
