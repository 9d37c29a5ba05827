/**
 * The per-item path of every stream: a hand-written async iterator (an async generator wrapping the
 * source would cost an extra generator resumption and promise per item).
 *
 * Per item: check `scope.isCancelled`, pull the source in the stream's scope, and when the pull settles
 * hand the source's own result object through. One cancellation listener per stream (registered at the
 * first pull, removed on every exit) rejects a pending `next()` at once and closes the source without
 * waiting for it.
 */
import { asyncContextFollowsAwaits, onCancellation, type CancelScope as Cancelable } from '../core/index.js';
import { reportSourceError } from '../core/diagnostics.js';
import { cancelSource, openSource, returnSource, type OpenedSource } from './adapters.js';
import { startClose, streamSourceLabel, waitForClose } from './close.js';
import { pullIn, type Pullable } from './context.js';
import { checkScope, parseStreamOptions } from './options.js';
import { Prefetcher } from './prefetch.js';
import { createPartialResult, ProgressTracker, RecentItems } from './progress.js';
import type { CancelableStreamOptions, StreamPartialResult, StreamSource } from './types.js';

const OPEN = 0;
const ENDED = 1; // the source ended or failed, or the consumer stopped: next() resolves done
const CANCELLED = 2; // next() rejects with the cancellation error

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Deferred<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (error: unknown) => void;
}

function noop(): void {}

function returnDone(): IteratorReturnResult<undefined> {
  return doneResult;
}

function returnIdle<T>(source: OpenedSource<T>): unknown {
  return returnSource(source, false);
}

function returnPending<T>(source: OpenedSource<T>): unknown {
  return returnSource(source, true);
}

function notAnObject(result: unknown): TypeError {
  return new TypeError(`Iterator result ${String(result)} is not an object`);
}

/**
 * Iterates a stream source (any AsyncIterable or Iterable, a web `ReadableStream`, a Node `Readable`)
 * under a scope:
 * - a pending `next()` rejects as soon as the scope is cancelled, with the scope's cancellation error,
 *   even if the source never yields again; the source is then closed (`return()`, `reader.cancel()`,
 *   `destroy()`) without waiting for it, and any later `next()` rejects with the same error;
 * - on every other exit (consumer `break` or throw, `return()`, the source's end) the source's
 *   `return()` is called and awaited — at most the scope's `graceMs`; a failing `return()` is reported
 *   in diagnostics (`cancelable:source-error`), never thrown at the consumer;
 * - the source's own code (an async generator body) runs with `Cancelable.current()` = `scope`.
 *
 * @example
 * ```ts
 * await Cancelable.withTimeout(60_000).run(async (scope) => {
 *   for await (const item of new CancelableAsyncIterator(dataSource(), scope)) await process(item);
 * });
 * ```
 */
export class CancelableAsyncIterator<T> implements AsyncIterator<T, undefined, undefined>, AsyncIterable<T> {
  /** The scope the stream is bound to. */
  readonly scope: Cancelable;
  readonly #source: OpenedSource<T>;
  readonly #it: Pullable<T>;
  readonly #partial: StreamPartialResult<T>;
  readonly #tracker: ProgressTracker<T> | undefined;
  #state = OPEN;
  #pending = false;
  #resolve: (result: IteratorResult<T, undefined>) => void = noop;
  #reject: (error: unknown) => void = noop;
  #queue: Deferred<T>[] | undefined;
  #off: (() => void) | undefined;
  #error: unknown;
  #closing: Promise<void> | undefined;

  /**
   * @param source - what to iterate.
   * @param scope - the scope whose cancellation stops the iteration.
   * @param options - prefetching and progress; see {@link CancelableStreamOptions}.
   * @throws TypeError when `source` is not a stream source (or is a locked ReadableStream), `scope` is not
   * a Cancelable, or an option has the wrong type; RangeError when `bufferSize` < 0 or
   * `reportInterval` < 1.
   */
  constructor(source: StreamSource<T>, scope: Cancelable, options?: CancelableStreamOptions<T>) {
    const checked = checkScope(scope);
    const parsed = parseStreamOptions(options);
    let opened = openSource(source);
    if (parsed.bufferSize > 0) {
      const prefetcher = new Prefetcher(checked, opened, parsed.bufferSize);
      opened = { it: prefetcher, adapter: prefetcher };
    }
    this.scope = checked;
    this.#source = opened;
    this.#it = opened.it;
    const recent = parsed.bufferPartial ? new RecentItems<T>() : undefined;
    this.#partial = createPartialResult<T>(checked, recent);
    this.#tracker =
      parsed.reportInterval !== 0 || parsed.onProgress !== undefined || recent !== undefined
        ? new ProgressTracker(checked, recent, parsed.reportInterval, parsed.onProgress)
        : undefined;
  }

  /** Items delivered so far. */
  get count(): number {
    return this.#partial.count;
  }

  /** The stream's partial result (also on `scope.partialResult` until another stream replaces it). */
  get partialResult(): StreamPartialResult<T> {
    return this.#partial;
  }

  /** The next item; rejects with the scope's cancellation error as soon as the scope is cancelled. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#state !== OPEN) return this.#nextAfterClose();
    if (this.#pending) return this.#enqueue();
    const scope = this.scope;
    if (scope.isCancelled) {
      this.#cancel(scope.cancelError);
      return Promise.reject(this.#error);
    }
    if (this.#off === undefined) this.#off = onCancellation(scope, this.#onCancel);
    let result: PromiseLike<IteratorResult<T>> | IteratorResult<T>;
    try {
      result = pullIn(scope, this.#it);
    } catch (error) {
      this.#fail();
      return Promise.reject(error);
    }
    if (this.#state !== OPEN) {
      // The pull itself cancelled the scope (or closed the stream): its outcome no longer matters.
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, noop);
      }
      return this.#nextAfterClose();
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      this.#pending = true;
      const promise = new Promise<IteratorResult<T, undefined>>(this.#capture);
      try {
        (result as PromiseLike<IteratorResult<T>>).then(this.#onResult, this.#onError);
      } catch (error) {
        this.#onError(error);
      }
      return promise;
    }
    return this.#syncResult(result as IteratorResult<T>);
  }

  /**
   * Stops the iteration: closes the source (its `return()`, awaited at most `scope.graceMs`) and resolves
   * done. A pending `next()` resolves done at once. Never rejects.
   */
  return(): Promise<IteratorResult<T, undefined>> {
    const state = this.#state;
    if (state === CANCELLED) {
      // The close started at cancellation: let the source's cleanup finish before the loop exits.
      const closing = this.#closing;
      this.#closing = undefined;
      return waitForClose(this.scope, closing).then(returnDone);
    }
    if (state === ENDED) return Promise.resolve(doneResult);
    this.#state = ENDED;
    this.#unlisten();
    const pending = this.#pending;
    if (pending) {
      this.#pending = false;
      const resolve = this.#resolve;
      this.#resolve = noop;
      this.#reject = noop;
      resolve(doneResult);
    }
    this.#settleQueue(doneResult);
    const closing = startClose(this.scope, pending ? returnPending : returnIdle, this.#source);
    return waitForClose(this.scope, closing).then(returnDone);
  }

  /** Closes the source like {@link CancelableAsyncIterator.return}, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    return this.return().then((): Promise<never> => Promise.reject(error));
  }

  /** `for await` support: the iterator itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** `await using` support: {@link CancelableAsyncIterator.return}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.return().then(noop);
  }

  // ---------------------------------------------------------------- the pump (package-internal)

  /**
   * For a pump that drives the source itself (`chunkedCancelableStream`): pulls once and hands back the
   * source's own result or promise, with no per-item wrapper. `undefined` when the iterator is no longer
   * open (cancelled, ended). The caller settles the pull with {@link CancelableAsyncIterator._pumped} or
   * {@link CancelableAsyncIterator._pumpFailed}; a cancellation meanwhile closes the source as usual.
   * The pump runs its loop in the scope's async context (where the context follows awaits, a check of
   * the context per item would cost a tenth of the item), so the source's `next()` sees the scope as
   * `Cancelable.current()`.
   * @internal
   */
  _pump(): PromiseLike<IteratorResult<T>> | IteratorResult<T> | undefined {
    if (this.#state !== OPEN) return undefined;
    const scope = this.scope;
    if (scope.isCancelled) {
      this.#cancel(scope.cancelError);
      return undefined;
    }
    if (this.#off === undefined) this.#off = onCancellation(scope, this.#onCancel);
    const result = asyncContextFollowsAwaits ? this.#it.next() : pullIn(scope, this.#it);
    if (this.#state !== OPEN) return undefined;
    this.#pending = true;
    return result;
  }

  /**
   * Accepts what a {@link CancelableAsyncIterator._pump} produced: counts the item and reports progress
   * and returns `true`; at the source's end closes it (awaited, bounded) and returns a promise of
   * `false`; returns `false` when the iterator closed meanwhile. Throws a TypeError for a non-object.
   * @internal
   */
  _pumped(result: IteratorResult<T>): boolean | Promise<false> {
    if (this.#state !== OPEN) return false;
    this.#pending = false;
    if (result === null || typeof result !== 'object') {
      this.#fail();
      throw notAnObject(result);
    }
    if (result.done) return new Promise<false>((resolve) => this.#ended(() => resolve(false)));
    const count = ++this.#partial.count;
    if (this.#tracker !== undefined) this.#tracker.item(count, result.value);
    return true;
  }

  /** The pumped pull failed: the source is finished (see {@link CancelableAsyncIterator._pump}). @internal */
  _pumpFailed(): void {
    if (this.#state !== OPEN) return;
    this.#pending = false;
    this.#fail();
  }

  // ---------------------------------------------------------------- settling a pull

  readonly #capture = (
    resolve: (result: IteratorResult<T, undefined>) => void,
    reject: (error: unknown) => void,
  ): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  readonly #onResult = (result: IteratorResult<T>): void => {
    if (this.#state !== OPEN) return; // cancelled or returned meanwhile
    this.#pending = false;
    if (result === null || typeof result !== 'object') {
      this.#onError(notAnObject(result));
      return;
    }
    const resolve = this.#resolve;
    if (result.done) {
      this.#ended(resolve);
      return;
    }
    const count = ++this.#partial.count;
    // (Progress callbacks may cancel or close the stream: the item in hand is still delivered.)
    if (this.#tracker !== undefined) this.#tracker.item(count, result.value);
    resolve(result);
    if (this.#queue !== undefined && this.#queue.length > 0 && this.#state === OPEN) this.#dequeue();
  };

  readonly #onError = (error: unknown): void => {
    // After a cancellation the source often fails with an AbortError or a premature close: expected.
    if (this.#state !== OPEN) return;
    this.#pending = false;
    const reject = this.#reject;
    this.#fail();
    reject(error);
  };

  #syncResult(result: IteratorResult<T>): Promise<IteratorResult<T, undefined>> {
    if (result === null || typeof result !== 'object') {
      this.#fail();
      return Promise.reject(notAnObject(result));
    }
    if (result.done) {
      return new Promise((resolve) => this.#ended(resolve));
    }
    const count = ++this.#partial.count;
    if (this.#tracker !== undefined) this.#tracker.item(count, result.value);
    return Promise.resolve(result);
  }

  /** The source ended: close it (awaited, bounded), then resolve done. */
  #ended(resolve: (result: IteratorResult<T, undefined>) => void): void {
    this.#state = ENDED;
    this.#partial.completed = true;
    this.#unlisten();
    this.#resolve = noop;
    this.#reject = noop;
    const queue = this.#queue;
    this.#queue = undefined;
    void waitForClose(this.scope, startClose(this.scope, returnIdle, this.#source)).then(() => {
      resolve(doneResult);
      if (queue !== undefined) for (const waiter of queue) waiter.resolve(doneResult);
    });
  }

  /** The source failed: it is finished (no `return()`, as with `for await`); release what we hold. */
  #fail(): void {
    this.#state = ENDED;
    this.#unlisten();
    this.#resolve = noop;
    this.#reject = noop;
    try {
      this.#source.adapter?.release();
    } catch (error) {
      reportSourceError(this.scope, streamSourceLabel, 'release', error);
    }
    this.#settleQueue(doneResult);
  }

  // ---------------------------------------------------------------- cancellation

  readonly #onCancel = (error: unknown): void => {
    if (this.#state === OPEN) this.#cancel(error);
  };

  #cancel(error: unknown): void {
    this.#state = CANCELLED;
    this.#error = error;
    this.#unlisten();
    const pending = this.#pending;
    this.#pending = false;
    const reject = this.#reject;
    this.#resolve = noop;
    this.#reject = noop;
    const queue = this.#queue;
    this.#queue = undefined;
    // Close now and do not wait: a pending pull may never settle (whatwg/streams#1255).
    this.#closing = startClose(this.scope, (source: OpenedSource<T>) => cancelSource(source, error), this.#source);
    if (pending) reject(error);
    if (queue !== undefined) for (const waiter of queue) waiter.reject(error);
  }

  #unlisten(): void {
    const off = this.#off;
    if (off !== undefined) {
      this.#off = undefined;
      off();
    }
  }

  // ---------------------------------------------------------------- the rest

  #nextAfterClose(): Promise<IteratorResult<T, undefined>> {
    return this.#state === CANCELLED ? Promise.reject(this.#error) : Promise.resolve(doneResult);
  }

  /** `next()` while another is pending: served in order once it settles. */
  #enqueue(): Promise<IteratorResult<T, undefined>> {
    return new Promise((resolve, reject) => {
      (this.#queue ??= []).push({ resolve, reject });
    });
  }

  #dequeue(): void {
    const waiter = (this.#queue as Deferred<T>[]).shift() as Deferred<T>;
    this.next().then(waiter.resolve, waiter.reject);
  }

  #settleQueue(result: IteratorResult<T, undefined>): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    this.#queue = undefined;
    for (const waiter of queue) waiter.resolve(result);
  }
}
