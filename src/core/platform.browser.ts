/**
 * The browser version of `platform.ts` (same exports), swapped in by the `browser` build of the main
 * entry. Browsers have no AsyncLocalStorage (yet: the TC39 AsyncContext proposal), no
 * `diagnostics_channel` and no listener limits:
 * - the async context is synchronous: `Cancelable.current()` sees a scope during the synchronous part
 *   of its body (and of `scope.wrap()`ed calls), not after an `await`; pass `parent` explicitly to nest
 *   scopes across awaits;
 * - channels are a small in-page implementation (`subscribeDiagnostics` works; tracing has no
 *   `bindStore`).
 */
import type { Channel, ContextStorage, TraceChannel } from './platform.js';

export type { Channel, ContextStorage, TraceChannel } from './platform.js';

/** Whether the async context follows awaits (false here: see the module comment). */
export const asyncContextFollowsAwaits = false;

class SyncStorage<T> implements ContextStorage<T> {
  #store: T | undefined;
  getStore(): T | undefined {
    return this.#store;
  }
  run<R, A extends unknown[]>(store: T, fn: (...args: A) => R, ...args: A): R {
    const previous = this.#store;
    this.#store = store;
    try {
      return fn(...args);
    } finally {
      this.#store = previous;
    }
  }
  enterWith(store: T): void {
    this.#store = store;
  }
}

/** A new (synchronous) context storage. */
export function createStorage<T extends object>(): ContextStorage<T> {
  return new SyncStorage<T>();
}

type Listener = (message: unknown, name: string | symbol) => void;

class PageChannel implements Channel {
  readonly listeners: Listener[] = [];
  constructor(readonly name: string) {}
  get hasSubscribers(): boolean {
    return this.listeners.length > 0;
  }
  publish(message: unknown): void {
    for (const listener of this.listeners.slice()) {
      try {
        listener(message, this.name);
      } catch (error) {
        // As diagnostics_channel does: a throwing subscriber surfaces as an uncaught error, later.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

const channels = new Map<string, PageChannel>();

/** The channel named `name`. */
export function channel(name: string): Channel {
  let found = channels.get(name);
  if (found === undefined) channels.set(name, (found = new PageChannel(name)));
  return found;
}

/** Subscribes `listener` to the channel named `name`. */
export function subscribe(name: string, listener: Listener): void {
  (channel(name) as PageChannel).listeners.push(listener);
}

/** Undoes {@link subscribe}. */
export function unsubscribe(name: string, listener: Listener): void {
  const listeners = (channel(name) as PageChannel).listeners;
  const index = listeners.indexOf(listener);
  if (index >= 0) listeners.splice(index, 1);
}

/** The tracing channel `tracing:<name>:*` (events without store binding). */
export function tracingChannel<C extends object>(name: string): TraceChannel<C> {
  const start = channel(`tracing:${name}:start`);
  const end = channel(`tracing:${name}:end`);
  const asyncStart = channel(`tracing:${name}:asyncStart`);
  const asyncEnd = channel(`tracing:${name}:asyncEnd`);
  const error = channel(`tracing:${name}:error`);
  return {
    start,
    end,
    asyncStart,
    asyncEnd,
    error,
    get hasSubscribers() {
      return start.hasSubscribers || end.hasSubscribers || asyncStart.hasSubscribers || asyncEnd.hasSubscribers || error.hasSubscribers;
    },
    tracePromise<R, A extends unknown[]>(fn: (...args: A) => Promise<R>, context: C, thisArg: unknown, ...args: A): Promise<R> {
      const traced = context as C & { result?: unknown; error?: unknown };
      start.publish(context);
      try {
        return fn.apply(thisArg, args).then(
          (result) => {
            traced.result = result;
            asyncStart.publish(context);
            asyncEnd.publish(context);
            return result;
          },
          (failure: unknown) => {
            traced.error = failure;
            error.publish(context);
            asyncStart.publish(context);
            asyncEnd.publish(context);
            throw failure;
          },
        );
      } finally {
        end.publish(context);
      }
    },
  };
}

/** Browsers have no listener limit. */
export function unlimitedListeners(_signal: AbortSignal): void {}

/** A random UUID (v4); `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
export function randomUUID(): string {
  const cryptoApi = globalThis.crypto;
  if (typeof cryptoApi?.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  cryptoApi.getRandomValues(bytes);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

