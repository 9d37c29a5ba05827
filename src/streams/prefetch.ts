/**
 * `bufferSize`: pulls up to `size` items ahead of the consumer, one pull at a time, and no more
 * (backpressure). It is an adapter in front of the source, so the iterator handles cancellation,
 * progress and context the same way with or without it.
 */
import type { CancelScope as Cancelable } from '../core/index.js';
import { isThenable } from '../core/promise.js';
import { cancelSource, returnSource, type OpenedSource, type SourceAdapter } from './adapters.js';
import { pullIn } from './context.js';

const NONE = 0;
const ENDED = 1;
const FAILED = 2;

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/** @internal */
export class Prefetcher<T> implements SourceAdapter<T> {
  readonly #scope: Cancelable;
  readonly #source: OpenedSource<T>;
  readonly #size: number;
  // Pulled items not yet handed out; `#head` avoids shifting the array on every item.
  #buffer: IteratorResult<T>[] = [];
  #head = 0;
  #pulling = false;
  #end = NONE;
  #error: unknown;
  #waiter: Waiter<T> | undefined;
  #closed = false;

  constructor(scope: Cancelable, source: OpenedSource<T>, size: number) {
    this.#scope = scope;
    this.#source = source;
    this.#size = size;
  }

  /** Items pulled and not yet handed out. */
  get buffered(): number {
    return this.#buffer.length - this.#head;
  }

  next(): IteratorResult<T> | Promise<IteratorResult<T>> {
    if (this.buffered > 0) {
      const result = this.#take();
      this.#pump();
      return result;
    }
    if (this.#end === ENDED) return doneResult;
    if (this.#end === FAILED) return Promise.reject(this.#error);
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#pump();
    });
  }

  return(pending: boolean): unknown {
    const pulling = this.#pulling;
    this.#close();
    return returnSource(this.#source, pending || pulling);
  }

  cancel(reason: unknown): unknown {
    this.#close();
    return cancelSource(this.#source, reason);
  }

  release(): void {
    this.#close();
    this.#source.adapter?.release();
  }

  #close(): void {
    this.#closed = true;
    this.#buffer = [];
    this.#head = 0;
    this.#waiter = undefined;
  }

  #take(): IteratorResult<T> {
    const buffer = this.#buffer;
    const result = buffer[this.#head] as IteratorResult<T>;
    buffer[this.#head++] = doneResult; // drop the reference to the item
    if (this.#head === buffer.length) {
      buffer.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= buffer.length) {
      buffer.splice(0, this.#head);
      this.#head = 0;
    }
    return result;
  }

  /** Pulls while someone waits or the buffer has room; one pull at a time. */
  #pump(): void {
    while (
      !this.#pulling &&
      !this.#closed &&
      this.#end === NONE &&
      (this.#waiter !== undefined || this.buffered < this.#size)
    ) {
      let result: PromiseLike<IteratorResult<T>> | IteratorResult<T>;
      try {
        result = pullIn(this.#scope, this.#source.it);
      } catch (error) {
        this.#failed(error);
        return;
      }
      if (isThenable(result)) {
        this.#pulling = true;
        result.then(this.#onResult, this.#onError);
        return;
      }
      this.#accept(result);
    }
  }

  readonly #onResult = (result: IteratorResult<T>): void => {
    this.#pulling = false;
    if (this.#closed) return;
    this.#accept(result);
    this.#pump();
  };

  readonly #onError = (error: unknown): void => {
    this.#pulling = false;
    if (this.#closed) return;
    this.#failed(error);
  };

  #accept(result: IteratorResult<T>): void {
    if (result === null || typeof result !== 'object') {
      this.#failed(new TypeError(`Iterator result ${String(result)} is not an object`));
      return;
    }
    if (result.done) {
      this.#end = ENDED;
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.resolve(doneResult);
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(result);
    } else {
      this.#buffer.push(result);
    }
  }

  #failed(error: unknown): void {
    this.#end = FAILED;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
