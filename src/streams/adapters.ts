/**
 * Turns a stream source into something to pull from, and knows how to close it.
 *
 * Async iterables are pulled through their own iterator, with no adapter in between (the hot path).
 * Sources that close differently get a small adapter: a web `ReadableStream` is read through a reader
 * and released with `reader.cancel()` (which, unlike the stream's own iterator's `return()`, works while
 * a read is pending: whatwg/streams#1255); a Node `Readable` is destroyed; a sync iterable has its
 * promise values awaited, as `for await` does.
 */
import { isThenable } from '../core/promise.js';
import { describeValue } from '../core/validate.js';
import type { Pullable } from './context.js';
import type { StreamSource } from './types.js';

/** An adapter: a {@link Pullable} with its own ways to close. */
export interface SourceAdapter<T> extends Pullable<T> {
  /** The consumer stopped, or the source ended: close and release it. The caller awaits the result. */
  return(pending: boolean): unknown;
  /** The scope was cancelled: close at once, even with a pull pending. Not awaited (failures handled). */
  cancel(reason: unknown): unknown;
  /** The source failed: release what the adapter holds, nothing else. */
  release(): void;
}

/** An opened source: the object to pull from, and its adapter when it is not a plain async iterator. */
export interface OpenedSource<T> {
  readonly it: Pullable<T>;
  readonly adapter: SourceAdapter<T> | undefined;
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function isWebReadableStream(value: object): value is ReadableStream<unknown> {
  const candidate = value as Partial<ReadableStream<unknown>>;
  return typeof candidate.getReader === 'function' && typeof candidate.cancel === 'function' && 'locked' in value;
}

interface NodeReadableLike extends NodeJS.ReadableStream {
  destroy(error?: Error): unknown;
  readonly destroyed?: boolean;
}

function isNodeReadable(value: object): value is NodeReadableLike {
  const candidate = value as Partial<NodeReadableLike>;
  return (
    typeof candidate.pipe === 'function' &&
    typeof candidate.read === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.destroy === 'function' &&
    typeof candidate[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Opens `source` for reading. Throws a TypeError for anything that is not a stream source, and for a
 * web stream that is already locked.
 */
export function openSource<T>(source: StreamSource<T>): OpenedSource<T> {
  if (isObjectLike(source) || typeof source === 'string') {
    const value = source as object;
    if (typeof value === 'object' && isWebReadableStream(value)) {
      if (value.locked) throw new TypeError('source is a ReadableStream that is already locked to a reader');
      const adapter = new WebStreamAdapter(value.getReader() as ReadableStreamDefaultReader<T>);
      return { it: adapter, adapter };
    }
    if (typeof value === 'object' && isNodeReadable(value)) {
      const adapter = new NodeReadableAdapter<T>(value);
      return { it: adapter, adapter };
    }
    const asyncFactory = (value as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
    if (typeof asyncFactory === 'function') {
      const it = asyncFactory.call(value);
      checkIterator(it, 'source[Symbol.asyncIterator]()');
      return { it, adapter: undefined };
    }
    const syncFactory = (value as Partial<Iterable<T | PromiseLike<T>>>)[Symbol.iterator];
    if (typeof syncFactory === 'function') {
      const it = syncFactory.call(value);
      checkIterator(it, 'source[Symbol.iterator]()');
      const adapter = new SyncIteratorAdapter<T>(it);
      return { it: adapter, adapter };
    }
  }
  throw new TypeError(
    `source must be an AsyncIterable, an Iterable, a ReadableStream or a Node Readable, got ${describeValue(source)}`,
  );
}

function checkIterator(it: unknown, what: string): void {
  if (!isObjectLike(it) || typeof (it as { next?: unknown }).next !== 'function') {
    throw new TypeError(`${what} must return an iterator (an object with a next() method), got ${describeValue(it)}`);
  }
}

/** Closes a source on a normal exit (consumer break/throw, end): its `return()`, or the adapter's. */
export function returnSource<T>(opened: OpenedSource<T>, pending: boolean): unknown {
  if (opened.adapter !== undefined) return opened.adapter.return(pending);
  return callReturn(opened.it);
}

/** Closes a source on cancellation, without waiting for a pending pull. */
export function cancelSource<T>(opened: OpenedSource<T>, reason: unknown): unknown {
  if (opened.adapter !== undefined) return opened.adapter.cancel(reason);
  // A native async generator queues this behind a pending next(); the caller does not wait for it.
  return callReturn(opened.it);
}

function callReturn(it: Pullable<unknown>): unknown {
  const method = (it as { return?: unknown }).return;
  return typeof method === 'function' ? (method as () => unknown).call(it) : undefined;
}

/** A web ReadableStream, read through a reader; `reader.cancel()` settles a pending read at once. */
class WebStreamAdapter<T> implements SourceAdapter<T> {
  readonly #reader: ReadableStreamDefaultReader<T>;
  #released = false;

  constructor(reader: ReadableStreamDefaultReader<T>) {
    this.#reader = reader;
  }

  next(): Promise<IteratorResult<T>> {
    // A read result is an iterator result ({ value, done }): handed through as is.
    return this.#reader.read() as Promise<IteratorResult<T>>;
  }

  return(_pending: boolean): Promise<void> | undefined {
    return this.#cancel(undefined);
  }

  cancel(reason: unknown): Promise<void> | undefined {
    return this.#cancel(reason);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#reader.releaseLock();
  }

  #cancel(reason: unknown): Promise<void> | undefined {
    if (this.#released) return undefined;
    // Cancelling a stream that already closed is a no-op; the lock is released either way.
    return this.#reader.cancel(reason).then(
      () => this.release(),
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }
}

/** A Node Readable, read through its own async iterator; destroyed on cancellation. */
class NodeReadableAdapter<T> implements SourceAdapter<T> {
  readonly #stream: NodeReadableLike;
  readonly #it: AsyncIterator<T>;

  constructor(stream: NodeReadableLike) {
    this.#stream = stream;
    this.#it = stream[Symbol.asyncIterator]() as AsyncIterator<T>;
  }

  next(): Promise<IteratorResult<T>> {
    return this.#it.next();
  }

  return(pending: boolean): Promise<IteratorResult<T>> | undefined {
    // Node's iterator queues return() behind a pending read; destroying settles that read first.
    if (pending) this.#destroy();
    return this.#it.return?.();
  }

  cancel(_reason: unknown): Promise<IteratorResult<T>> | undefined {
    this.#destroy();
    return this.#it.return?.();
  }

  release(): void {}

  #destroy(): void {
    // No error argument: an 'error' event nobody listens to would crash the process.
    if (this.#stream.destroyed !== true) this.#stream.destroy();
  }
}

/** A sync iterator; promise values are awaited like `for await` does. */
class SyncIteratorAdapter<T> implements SourceAdapter<T> {
  readonly #it: Iterator<T | PromiseLike<T>>;

  constructor(it: Iterator<T | PromiseLike<T>>) {
    this.#it = it;
  }

  next(): IteratorResult<T> | Promise<IteratorResult<T>> {
    const result = this.#it.next();
    if (isObjectLike(result) && result.done !== true && isThenable(result.value)) {
      return Promise.resolve(result.value).then(valueResult);
    }
    return result as IteratorResult<T>;
  }

  return(_pending: boolean): unknown {
    const it = this.#it;
    return typeof it.return === 'function' ? it.return() : undefined;
  }

  cancel(_reason: unknown): unknown {
    return this.return(false);
  }

  release(): void {}
}

function valueResult<T>(value: T): IteratorResult<T> {
  return { value, done: false };
}
