/**
 * Public types of the streams module.
 */

/**
 * What can be streamed: any `AsyncIterable` (async generators included) or `Iterable` (whose promise
 * values are awaited, as `for await` does), a web `ReadableStream`, or a Node `Readable`.
 */
export type StreamSource<T> = AsyncIterable<T> | Iterable<T | PromiseLike<T>> | ReadableStream<T> | NodeReadableLike;

/**
 * A Node `Readable` (or `process.stdin`), described by what the library uses of it, so that the main
 * entry's types compile without `@types/node`: any `stream.Readable` fits.
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * const file: NodeReadableLike = createReadStream('data.log');
 * for await (const chunk of scope.stream(file)) handle(chunk);
 * ```
 */
export interface NodeReadableLike {
  read(size?: number): unknown;
  pipe(destination: never, options?: { end?: boolean }): unknown;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

/** Options of `cancelableStream` (and `scope.stream()`, `new CancelableAsyncIterator()`). */
export interface CancelableStreamOptions<T> {
  /**
   * Prefetch up to this many items from the source while the consumer works on the current one; never
   * more (backpressure). Cancellation discards them. Default `0`: the source is pulled only when the
   * consumer asks.
   */
  bufferSize?: number;
  /** Report `Processed <count> items` through `scope.reportProgress` every this many items. */
  reportInterval?: number;
  /**
   * Called with the running count and the item at each report: every `reportInterval` items, or every
   * item when `reportInterval` is not given. A callback that throws (or rejects) is reported in
   * diagnostics and never stops the stream; async callbacks are not awaited.
   */
  onProgress?: (count: number, item: T) => void | Promise<void>;
  /** Keep the last 1,000 items in `partialResult.buffer`. Default `false` (only the count is kept). */
  bufferPartial?: boolean;
}

/** Options of `chunkedCancelableStream`: the stream options plus the chunking. */
export interface ChunkedStreamOptions<T> extends CancelableStreamOptions<T> {
  /** Items per chunk (an integer >= 1). Every chunk is full except the last one. */
  chunkSize: number;
  /**
   * Deliver a partial (non-empty) chunk once the consumer has waited this long (ms, > 0) without a new
   * item arriving. Default: wait for a full chunk or the end of the source.
   */
  maxWaitMs?: number;
}

/**
 * What a stream keeps on its scope's `partialResult` (and so on `scope.context.partialResult`): a plain,
 * JSON-serialisable object updated as items are delivered.
 */
export interface StreamPartialResult<T> {
  /** Items delivered to the consumer so far. */
  count: number;
  /** The last (up to) 1,000 items delivered, when `bufferPartial` is on; otherwise empty. */
  buffer: T[];
  /** `true` once the source ended normally (not on cancellation, error or an early exit). */
  completed: boolean;
}
