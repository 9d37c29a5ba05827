/**
 * Chunked iteration: arrays of `chunkSize` items (the remainder last), optionally flushed early when
 * items stop coming. A pump over {@link CancelableAsyncIterator}'s raw pulls: the inner iterator keeps
 * closing, progress and context; this layer groups items and gives the consumer one promise per chunk.
 */
import type { TimerHandle } from '../core/clock.js';
import type { CancelScope as Cancelable } from '../core/index.js';
import { checkInteger, checkInterval, checkKnownKeys } from '../core/validate.js';
import { clearLongTimeout, onCancellation, setLongTimeout } from '../core/index.js';
import { isThenable } from '../core/promise.js';
import { runIn } from './context.js';
import { CancelableAsyncIterator } from './iterator.js';
import { streamOptionKeys } from './options.js';
import type { ChunkedStreamOptions, StreamPartialResult, StreamSource } from './types.js';

const chunkedOptionKeys: ReadonlySet<string> = new Set([...streamOptionKeys, 'chunkSize', 'maxWaitMs']);

const OPEN = 0;
const ENDED = 1;
const CANCELLED = 2;
const FAILED = 3; // the source failed while no chunk was requested: the next next() rejects

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Deferred<T> {
  readonly resolve: (result: IteratorResult<T[], undefined>) => void;
  readonly reject: (error: unknown) => void;
}

function noop(): void {}

function returnDone(): IteratorReturnResult<undefined> {
  return doneResult;
}

/**
 * The iterator returned by {@link chunkedCancelableStream}.
 *
 * Cancellation is checked before each chunk and interrupts the wait for one at once (items gathered for
 * an unfinished chunk are dropped). Chunks are gathered only while the consumer waits for one: at most
 * one item is pulled ahead after an early (`maxWaitMs`) flush.
 */
export class ChunkedCancelableIterator<T> implements AsyncIterator<T[], undefined, undefined>, AsyncIterable<T[]> {
  /** The scope the stream is bound to. */
  readonly scope: Cancelable;
  readonly #inner: CancelableAsyncIterator<T>;
  readonly #size: number;
  readonly #maxWait: number; // 0: no early flush
  #chunk: T[] = [];
  #state = OPEN;
  #error: unknown;
  #innerDone = false;
  #driving = false;
  #waiting = false;
  #resolve: (result: IteratorResult<T[], undefined>) => void = noop;
  #reject: (error: unknown) => void = noop;
  #queue: Deferred<T>[] | undefined;
  #lastItemAt = 0;
  #timer: TimerHandle;
  #off: (() => void) | undefined;

  /** Use {@link chunkedCancelableStream}. */
  constructor(source: StreamSource<T>, scope: Cancelable, options: ChunkedStreamOptions<T>) {
    checkKnownKeys('options', options, chunkedOptionKeys);
    if (options === undefined) throw new TypeError('options.chunkSize must be an integer, got undefined');
    this.#size = checkInteger('options.chunkSize', options.chunkSize, 1);
    this.#maxWait =
      options.maxWaitMs === undefined
        ? 0
        : checkInterval('options.maxWaitMs', options.maxWaitMs);
    const { chunkSize: _size, maxWaitMs: _wait, ...streamOptions } = options;
    this.#inner = new CancelableAsyncIterator(source, scope, streamOptions);
    this.scope = this.#inner.scope;
  }

  /** Items delivered so far (in chunks, or gathered for the next one). */
  get count(): number {
    return this.#inner.count;
  }

  /** The stream's partial result (items, not chunks). */
  get partialResult(): StreamPartialResult<T> {
    return this.#inner.partialResult;
  }

  /** The next chunk; rejects with the scope's cancellation error as soon as the scope is cancelled. */
  next(): Promise<IteratorResult<T[], undefined>> {
    const state = this.#state;
    if (state !== OPEN) {
      if (state === ENDED) return Promise.resolve(doneResult);
      if (state === FAILED) this.#state = ENDED;
      return Promise.reject(this.#error);
    }
    if (this.#waiting) return this.#enqueue();
    const scope = this.scope;
    if (scope.isCancelled) {
      this.#cancelled(scope.cancelError);
      // Let the inner iterator see it too: it closes the source if it has not yet.
      this.#inner.next().then(undefined, noop);
      return Promise.reject(this.#error);
    }
    if (this.#chunk.length >= this.#size) return Promise.resolve({ value: this.#takeChunk(), done: false });
    if (this.#innerDone) {
      if (this.#chunk.length > 0) return Promise.resolve({ value: this.#takeChunk(), done: false });
      // The end: let go of the scope (its cancellation listener would keep this iterator alive).
      this.#state = ENDED;
      this.#unlisten();
      this.#clearTimer();
      return Promise.resolve(doneResult);
    }
    this.#waiting = true;
    const promise = new Promise<IteratorResult<T[], undefined>>(this.#capture);
    if (this.#maxWait > 0 && this.#chunk.length > 0) {
      // Items left from before: the wait for more starts now.
      this.#lastItemAt = scope.clock.now();
      this.#armTimer(this.#maxWait);
    }
    // The pump loops in the scope's async context: each pull then calls the source directly.
    if (!this.#driving) runIn(scope, ChunkedCancelableIterator.#startDrive, this);
    return promise;
  }

  /** Stops: drops the unfinished chunk, closes the source (see `CancelableAsyncIterator.return`). */
  return(): Promise<IteratorResult<T[], undefined>> {
    if (this.#state === OPEN || this.#state === FAILED) {
      this.#state = ENDED;
      this.#unlisten();
      this.#clearTimer();
      this.#chunk = [];
      if (this.#waiting) this.#resolveWaiting(doneResult);
      this.#settleQueue();
    }
    return this.#inner.return().then(returnDone);
  }

  /** Closes like {@link ChunkedCancelableIterator.return}, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T[], undefined>> {
    return this.return().then((): Promise<never> => Promise.reject(error));
  }

  /** `for await` support: the iterator itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** `await using` support: {@link ChunkedCancelableIterator.return}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.return().then(noop);
  }

  readonly #capture = (
    resolve: (result: IteratorResult<T[], undefined>) => void,
    reject: (error: unknown) => void,
  ): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /**
   * The pump: pulls items while a chunk is wanted, awaiting the source's own promise directly (no
   * per-item wrapper: the consumer gets one promise per chunk). A cancellation rejects the chunk at once
   * through this stream's listener; the inner iterator closes the source.
   */
  static #startDrive<I>(iterator: ChunkedCancelableIterator<I>): void {
    void iterator.#drive();
  }

  async #drive(): Promise<void> {
    this.#driving = true;
    if (this.#off === undefined) this.#off = onCancellation(this.scope, this.#onCancel);
    const inner = this.#inner;
    try {
      for (;;) {
        const pulled = inner._pump();
        if (pulled === undefined) {
          // Cancelled before the pull (our listener has run, or runs now).
          if (this.#state === OPEN && this.scope.isCancelled) this.#cancelled(this.scope.cancelError);
          return;
        }
        const result = isThenable(pulled) ? await (pulled) : (pulled);
        if (this.#state !== OPEN) return;
        const accepted = inner._pumped(result);
        if (accepted !== true) {
          if (accepted !== false) await accepted; // the source ended: closed, awaited (bounded)
          if (this.#state !== OPEN) return;
          this.#innerDone = true;
          if (this.#waiting) this.#deliverRest();
          return;
        }
        this.#chunk.push(result.value as T);
        if (this.#maxWait > 0) this.#lastItemAt = this.scope.clock.now();
        // Flushed early meanwhile: keep the item for the next chunk, pull nothing more.
        if (!this.#waiting) return;
        if (this.#chunk.length >= this.#size) {
          this.#deliver();
          if (!this.#waiting) return; // a queued next() may want the next chunk at once
        } else if (this.#maxWait > 0 && this.#timer === undefined) {
          this.#armTimer(this.#maxWait);
        }
      }
    } catch (error) {
      inner._pumpFailed();
      this.#failed(error);
    } finally {
      this.#driving = false;
    }
  }

  readonly #onCancel = (error: unknown): void => {
    if (this.#state === OPEN) this.#cancelled(error);
  };

  #unlisten(): void {
    const off = this.#off;
    if (off !== undefined) {
      this.#off = undefined;
      off();
    }
  }

  #takeChunk(): T[] {
    const chunk = this.#chunk;
    this.#chunk = [];
    return chunk;
  }

  #deliver(): void {
    this.#clearTimer();
    this.#resolveWaiting({ value: this.#takeChunk(), done: false });
    const queue = this.#queue;
    if (queue !== undefined && queue.length > 0) {
      const waiter = queue.shift() as Deferred<T>;
      this.next().then(waiter.resolve, waiter.reject);
    }
  }

  /** The source ended while a chunk was wanted: the remainder, or done. */
  #deliverRest(): void {
    if (this.#chunk.length > 0) {
      this.#deliver();
      return;
    }
    this.#state = ENDED;
    this.#unlisten();
    this.#clearTimer();
    this.#resolveWaiting(doneResult);
    this.#settleQueue();
  }

  #failed(error: unknown): void {
    if (this.#state !== OPEN) return;
    const scope = this.scope;
    if (scope.isCancelled && error === scope.cancelError) {
      this.#cancelled(error);
      return;
    }
    this.#unlisten();
    this.#clearTimer();
    this.#chunk = [];
    this.#error = error;
    if (!this.#waiting) {
      this.#state = FAILED;
      return;
    }
    this.#state = ENDED;
    this.#rejectWaiting(error);
    this.#settleQueue();
  }

  /** Settles the `next()` waiting for a chunk (resolvers are released first: it settles once). */
  #resolveWaiting(result: IteratorResult<T[], undefined>): void {
    const resolve = this.#resolve;
    this.#waiting = false;
    this.#resolve = noop;
    this.#reject = noop;
    resolve(result);
  }

  #rejectWaiting(error: unknown): void {
    const reject = this.#reject;
    this.#waiting = false;
    this.#resolve = noop;
    this.#reject = noop;
    reject(error);
  }

  #cancelled(error: unknown): void {
    this.#state = CANCELLED;
    this.#error = error;
    this.#unlisten();
    this.#clearTimer();
    this.#chunk = [];
    if (this.#waiting) this.#rejectWaiting(error);
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue !== undefined) for (const waiter of queue) waiter.reject(error);
  }

  // ---------------------------------------------------------------- early flush

  #armTimer(delay: number): void {
    this.#timer = setLongTimeout(this.scope.clock, this.#onTimer, delay, undefined);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearLongTimeout(this.scope.clock, this.#timer);
    this.#timer = undefined;
  }

  // One timer per wait, re-armed for the rest of the idle time instead of reset on every item.
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#state !== OPEN || !this.#waiting || this.#chunk.length === 0) return;
    const idle = this.scope.clock.now() - this.#lastItemAt;
    if (idle >= this.#maxWait) this.#deliver();
    else this.#armTimer(this.#maxWait - idle);
  };

  #enqueue(): Promise<IteratorResult<T[], undefined>> {
    return new Promise((resolve, reject) => {
      (this.#queue ??= []).push({ resolve, reject });
    });
  }

  #settleQueue(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    this.#queue = undefined;
    for (const waiter of queue) waiter.resolve(doneResult);
  }
}

/**
 * Iterates `source` in arrays of `chunkSize` items — every chunk full except the last — under `scope`
 * (see `cancelableStream` for what cancellation does). With `maxWaitMs`, a partial chunk is delivered
 * once the consumer has waited that long without a new item arriving (timers on `scope.clock`).
 * Cancellation is checked between chunks and interrupts the wait for one.
 *
 * @throws TypeError / RangeError for a bad source or scope, `chunkSize` not an integer >= 1, or
 * `maxWaitMs` not a number > 0 (and the checks of `cancelableStream`).
 * @example
 * ```ts
 * await Cancelable.withTimeout(300_000).run(async (scope) => {
 *   for await (const rows of chunkedCancelableStream(readRows(), scope, { chunkSize: 100 })) {
 *     await db.insertMany(rows); // up to 100 rows at a time
 *   }
 * });
 * ```
 */
export function chunkedCancelableStream<T>(
  source: StreamSource<T>,
  scope: Cancelable,
  options: ChunkedStreamOptions<T>,
): ChunkedCancelableIterator<T> {
  return new ChunkedCancelableIterator(source, scope, options);
}
