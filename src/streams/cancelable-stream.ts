/**
 * `cancelableStream()`: the library's entry point for cancelling async streams. Used by
 * `Cancelable.prototype.stream`.
 */
import type { CancelScope as Cancelable } from '../core/index.js';
import { CancelableAsyncIterator } from './iterator.js';
import type { CancelableStreamOptions, StreamSource } from './types.js';

export type { CancelableStreamOptions, StreamSource } from './types.js';

/**
 * Iterates `source` (any AsyncIterable or Iterable, a web `ReadableStream`, a Node `Readable`) so that it
 * stops as soon as `scope` is cancelled:
 * - a pending `next()` rejects at once with the scope's cancellation error, even if the source never
 *   yields again; the source is closed (`return()`, `reader.cancel()`, `destroy()`) without waiting;
 * - a consumer `break` or throw, and the source's end, call and await the source's `return()` (at most
 *   the scope's `graceMs`), so the source's `finally` runs before the loop exits;
 * - `bufferSize` prefetches up to that many items (bounded); `reportInterval`, `onProgress` and
 *   `bufferPartial` report progress and keep `{ count, buffer, completed }` on `scope.partialResult`;
 * - the source's own code sees `Cancelable.current() === scope`.
 *
 * @throws TypeError when `source` is not a stream source (or is a locked ReadableStream), `scope` is not
 * a Cancelable, or an option has the wrong type; RangeError when `bufferSize` < 0 or `reportInterval` < 1.
 * @example
 * ```ts
 * await Cancelable.withTimeout(60_000, { name: 'stream_processor' }).run(async (scope) => {
 *   for await (const item of cancelableStream(dataSource(), scope)) {
 *     await processItem(item); // the loop stops on timeout
 *   }
 * });
 * ```
 */
export function cancelableStream<T>(
  source: StreamSource<T>,
  scope: Cancelable,
  options?: CancelableStreamOptions<T>,
): CancelableAsyncIterator<T> {
  return new CancelableAsyncIterator(source, scope, options);
}
