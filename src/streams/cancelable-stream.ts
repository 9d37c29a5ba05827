// PLACEHOLDER — owned by the streams work (issue 4); replaced by the real implementation.
import type { Cancelable } from '../core/scope.js';

/** What can be streamed: any AsyncIterable or Iterable, a web ReadableStream, a Node Readable. */
export type StreamSource<T> = AsyncIterable<T> | Iterable<T> | ReadableStream<T> | NodeJS.ReadableStream;

/** Options of `cancelableStream`. */
export interface CancelableStreamOptions<T> {
  bufferSize?: number;
  reportInterval?: number;
  onProgress?: (count: number, item: T) => void;
  bufferPartial?: boolean;
}

/** Wraps `source` so that iteration stops as soon as `scope` is cancelled. */
export function cancelableStream<T>(
  _source: StreamSource<T>,
  _scope: Cancelable,
  _options?: CancelableStreamOptions<T>,
): AsyncIterableIterator<T> {
  throw new Error('cancelableStream is not implemented yet');
}
