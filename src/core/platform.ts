/**
 * Everything the core needs from its host, in one file: the async context, diagnostics channels,
 * listener limits, random ids and a monotonic clock. This is the Node.js, Bun, Deno and edge version
 * (they all provide `node:async_hooks`, `node:diagnostics_channel` and `node:events`); the browser build
 * replaces this module with `platform.browser.ts` (same exports, fallbacks where a browser lacks them).
 * Nothing else in the core imports a built-in module.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { setMaxListeners } from 'node:events';

/** The async context: the store that is current while `fn` runs, and in everything it starts. */
export interface ContextStorage<T> {
  getStore(): T | undefined;
  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R;
  /** Makes `store` current for the rest of the synchronous execution and what it starts. */
  enterWith(store: T): void;
}

/** Whether the async context follows awaits (true here; false in the browser fallback). */
export const asyncContextFollowsAwaits = true;

/** A new async context storage. */
export function createStorage<T extends object>(): ContextStorage<T> {
  return new AsyncLocalStorage<T>();
}

/** A named channel: publishing costs nothing while nobody subscribes. */
export interface Channel {
  readonly name: string | symbol;
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/** The channel named `name` (the same object for the same name, process-wide). */
export function channel(name: string): Channel {
  return diagnosticsChannel.channel(name);
}

/** Subscribes `listener` to the channel named `name`. */
export function subscribe(name: string, listener: (message: unknown, name: string | symbol) => void): void {
  diagnosticsChannel.subscribe(name, listener);
}

/** Undoes {@link subscribe}. */
export function unsubscribe(name: string, listener: (message: unknown, name: string | symbol) => void): void {
  diagnosticsChannel.unsubscribe(name, listener);
}

/**
 * The part of Node's `TracingChannel` the library publishes on (declared here so that the public
 * types never need `@types/node`).
 */
export interface TraceChannel<C extends object> {
  readonly hasSubscribers: boolean;
  /** `start`, `end`, `asyncStart`, `asyncEnd`, `error` channels around `fn`'s promise. */
  tracePromise<R, A extends unknown[]>(fn: (...args: A) => Promise<R>, context: C, thisArg: unknown, ...args: A): Promise<R>;
  /**
   * The `start` channel; on Node (not in the browser build) `bindStore(storage, transform)` makes
   * `transform(context)` the storage's store for the whole traced run.
   */
  readonly start: Channel & {
    bindStore?<T>(storage: ContextStorage<T>, transform?: (context: C) => T): void;
    unbindStore?<T>(storage: ContextStorage<T>): boolean;
  };
  readonly end: Channel;
  readonly asyncStart: Channel;
  readonly asyncEnd: Channel;
  readonly error: Channel;
}

/** The tracing channel `tracing:<name>:*`. */
export function tracingChannel<C extends object>(name: string): TraceChannel<C> {
  // Node's AsyncLocalStorage is a ContextStorage with more members; the public type stays Node-free.
  const channel: unknown = diagnosticsChannel.tracingChannel<unknown, C>(name);
  return channel as TraceChannel<C>;
}

/**
 * Lets `signal` have any number of listeners without Node's `MaxListenersExceededWarning` (a scope's
 * signal is handed to every fetch and stream of its body; 11 is not a leak).
 */
export function unlimitedListeners(signal: AbortSignal): void {
  setMaxListeners(0, signal);
}

/** A random UUID (v4). */
export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}

