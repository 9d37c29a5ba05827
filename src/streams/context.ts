/**
 * Runs the source's code in the stream's scope. An async generator's body runs in the async context of
 * whoever calls its `next()` (nodejs/node#42237), so without this `Cancelable.current()` inside the
 * generator would be the consumer's scope. Each pull re-enters the scope the stream was bound to; the
 * consumer's own code keeps its own context.
 */
import type { CancelScope as Cancelable } from '../core/index.js';
import { runtime } from '../core/runtime.js';

/** What the iterator pulls from: the source's own iterator, or an adapter. */
export interface Pullable<T> {
  next(): PromiseLike<IteratorResult<T>> | IteratorResult<T>;
}

function callNext<T>(it: Pullable<T>): PromiseLike<IteratorResult<T>> | IteratorResult<T> {
  return it.next();
}

/** `it.next()`, run in `scope`'s async context (no context switch when it is already the current one). */
export function pullIn<T>(scope: Cancelable, it: Pullable<T>): PromiseLike<IteratorResult<T>> | IteratorResult<T> {
  const storage = runtime.storage;
  return storage.getStore() === scope ? it.next() : storage.run(scope, callNext, it);
}

/** `fn(arg)`, run in `scope`'s async context. */
export function runIn<A, R>(scope: Cancelable, fn: (arg: A) => R, arg: A): R {
  const storage = runtime.storage;
  return storage.getStore() === scope ? fn(arg) : storage.run(scope, fn, arg);
}
