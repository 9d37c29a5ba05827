/**
 * Progress of a stream: the partial result kept on the scope, periodic reports, `onProgress`.
 */
import { reportCallbackError } from '../core/diagnostics.js';
import type { CancelScope as Cancelable } from '../core/index.js';
import { isThenable } from '../core/promise.js';
import type { StreamPartialResult } from './types.js';

/** How many items `partialResult.buffer` keeps when `bufferPartial` is on. */
export const PARTIAL_BUFFER_LIMIT = 1000;

/** The items kept for `partialResult.buffer`: trimmed in batches, so keeping one costs no copy. */
export class RecentItems<T> {
  #items: T[] = [];

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    if (items.length >= 2 * PARTIAL_BUFFER_LIMIT) items.splice(0, items.length - PARTIAL_BUFFER_LIMIT);
  }

  /** The last (up to) {@link PARTIAL_BUFFER_LIMIT} items, oldest first, as a new array. */
  snapshot(): T[] {
    const items = this.#items;
    return items.length > PARTIAL_BUFFER_LIMIT ? items.slice(items.length - PARTIAL_BUFFER_LIMIT) : items.slice();
  }
}

/**
 * A fresh partial result, installed on the scope. It is a plain object (JSON and structured-clone
 * friendly); with `recent`, `buffer` is an enumerable getter returning a copy of the last items.
 */
export function createPartialResult<T>(scope: Cancelable, recent: RecentItems<T> | undefined): StreamPartialResult<T> {
  const partial: StreamPartialResult<T> = { count: 0, buffer: [], completed: false };
  if (recent !== undefined) {
    Object.defineProperty(partial, 'buffer', { get: () => recent.snapshot(), enumerable: true, configurable: true });
  }
  scope.partialResult = partial;
  return partial;
}

/** Per-item work beyond counting; only created when an option asks for it. */
export class ProgressTracker<T> {
  readonly #scope: Cancelable;
  readonly #recent: RecentItems<T> | undefined;
  readonly #interval: number;
  readonly #onProgress: ((count: number, item: T) => void | Promise<void>) | undefined;

  constructor(
    scope: Cancelable,
    recent: RecentItems<T> | undefined,
    interval: number,
    onProgress: ((count: number, item: T) => void | Promise<void>) | undefined,
  ) {
    this.#scope = scope;
    this.#recent = recent;
    this.#interval = interval;
    this.#onProgress = onProgress;
  }

  /** Called once per delivered item, after `count` was incremented. */
  item(count: number, item: T): void {
    if (this.#recent !== undefined) this.#recent.push(item);
    const interval = this.#interval;
    if (interval !== 0) {
      if (count % interval !== 0) return;
      this.#scope.reportProgress(`Processed ${count} items`, { count });
    }
    if (this.#onProgress !== undefined) this.#callOnProgress(count, item);
  }

  #callOnProgress(count: number, item: T): void {
    try {
      const result = (this.#onProgress as (count: number, item: T) => unknown)(count, item);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => reportCallbackError(this.#scope, 'stream onProgress', error));
      }
    } catch (error) {
      reportCallbackError(this.#scope, 'stream onProgress', error);
    }
  }
}
