/**
 * An undici 7 interceptor (`Dispatcher.compose`) doing what `fetch` does for code that calls undici
 * directly: the scope's cancellation aborts the request, the budget travels in a deadline header, and
 * a call with too little time left fails without touching the network. Structural types only: undici
 * is an optional peer, never loaded here.
 */
import { onCancellation } from '../core/index.js';
import { outboundConfig, planOutbound, type OutboundOptions } from './outbound.js';

/** The parts of undici's dispatch options the interceptor reads and writes. */
export interface UndiciDispatchOptions {
  headers?: unknown;
  [key: string]: unknown;
}

/** The parts of an undici 7 request controller the interceptor uses. */
export interface UndiciController {
  abort(reason: unknown): void;
}

/** An undici 7 dispatch handler (the new handler API). */
export interface UndiciHandler {
  onRequestStart?(controller: UndiciController, context: unknown): void;
  onRequestUpgrade?(controller: UndiciController, statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStart?(controller: UndiciController, statusCode: number, headers: unknown, statusMessage?: string): void;
  onResponseData?(controller: UndiciController, chunk: unknown): void;
  onResponseEnd?(controller: UndiciController, trailers: unknown): void;
  onResponseError?(controller: UndiciController | null, error: Error): void;
}

/** undici's `dispatch` function. */
export type UndiciDispatch = (options: UndiciDispatchOptions, handler: UndiciHandler) => boolean;

/**
 * An interceptor for `Dispatcher.compose()`: takes undici's `dispatch` and returns one of the same type
 * (generic, so it fits undici's own `DispatcherComposeInterceptor` without importing undici).
 */
export type UndiciInterceptor = <D extends (options: never, handler: never) => boolean>(dispatch: D) => D;

/**
 * An undici 7 interceptor that runs each request in the current scope (`Cancelable.current()` at
 * dispatch): the scope's cancellation aborts it with the scope's error, the time left (minus
 * `marginMs`) is sent in the caller's deadline header family (else `options.header`), and with less
 * than `minBudgetMs` left the request fails at once with a `TimeoutCancelation`, without a connection.
 * @example
 * ```ts
 * import { Agent, request } from 'undici';
 * const dispatcher = new Agent().compose(deadlineInterceptor({ header: 'grpc-timeout' }));
 * const { body } = await request('http://127.0.0.1:9000/rank', { dispatcher });
 * ```
 */
export function deadlineInterceptor(options?: OutboundOptions): UndiciInterceptor {
  const config = outboundConfig(options);
  const interceptor = (dispatch: UndiciDispatch): UndiciDispatch =>
    function dispatchInScope(opts, handler) {
      const plan = planOutbound(config);
      if (plan.kind === 'none') return dispatch(opts, handler);
      if (plan.kind === 'fail') {
        handler.onResponseError?.(null, plan.error as Error);
        return true;
      }
      const headers = plan.header === undefined ? opts.headers : withHeader(opts.headers, plan.header, plan.value!);
      return dispatch({ ...opts, headers }, new ScopedHandler(handler, plan.scope));
    };
  return interceptor as unknown as UndiciInterceptor;
}

/** Forwards every callback; aborts the request when the scope is cancelled, until it ends. */
class ScopedHandler implements UndiciHandler {
  #off: (() => void) | undefined;

  constructor(
    readonly inner: UndiciHandler,
    readonly scope: Parameters<typeof onCancellation>[0],
  ) {}

  onRequestStart(controller: UndiciController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
    this.#off = onCancellation(this.scope, (error) => {
      this.#off = undefined;
      controller.abort(error);
    });
  }

  onRequestUpgrade(controller: UndiciController, statusCode: number, headers: unknown, socket: unknown): void {
    this.#release();
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: UndiciController, statusCode: number, headers: unknown, statusMessage?: string): void {
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: UndiciController, chunk: unknown): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: UndiciController, trailers: unknown): void {
    this.#release();
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: UndiciController | null, error: Error): void {
    this.#release();
    this.inner.onResponseError?.(controller, error);
  }

  #release(): void {
    const off = this.#off;
    this.#off = undefined;
    off?.();
  }
}

/** Adds `name: value` to undici's headers (an object, a flat array, or an iterable of pairs) unless present. */
function withHeader(headers: unknown, name: string, value: string): unknown {
  if (headers === undefined || headers === null) return { [name]: value };
  if (Array.isArray(headers)) {
    const flat = headers.length > 0 && Array.isArray(headers[0]) ? (headers as unknown[][]).flat() : (headers as unknown[]);
    for (let i = 0; i < flat.length; i += 2) if (String(flat[i]).toLowerCase() === name) return headers;
    return [...flat, name, value];
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const flat: unknown[] = [];
    for (const pair of headers as Iterable<[unknown, unknown]>) {
      if (String(pair[0]).toLowerCase() === name) return headers;
      flat.push(pair[0], pair[1]);
    }
    return [...flat, name, value];
  }
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers;
  return { ...(headers as Record<string, unknown>), [name]: value };
}
