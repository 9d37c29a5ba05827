/**
 * Koa middleware: one request scope per request, current in every middleware after it.
 */
import type { Context, Middleware, Next } from 'koa';
import type { Cancelable } from '../cancelable.js';
import { reportCallbackError } from '../core/index.js';
import type { RequestScopeOptions } from '../http/request-scope.js';
import { statusFor } from '../http/status.js';
import {
  checkAdapterOptions,
  checkRouteTimeout,
  isRunningScope,
  nestedRouteScope,
  nodeRequestScope,
  runHandingOver,
  untilResponseWritten,
} from '../adapters/common.js';

declare module 'koa' {
  interface DefaultContext {
    /**
     * The request's scope (set by `cancelable-ts/koa`): the same object as `Cancelable.current()` in
     * the middleware after it. Its `signal` aborts when the client disconnects or the request times out.
     */
    scope?: Cancelable;
  }
}

/** Options of the Koa {@link requestScope} middleware. */
export interface KoaScopeOptions extends RequestScopeOptions {
  /**
   * Answers a cancelled request instead of the default mapping (503 on a route timeout, 504 on an
   * expired caller deadline, 503 + `Connection: close` on shutdown, nothing on a disconnect): set
   * `ctx.status` / `ctx.body` as usual. Called once per cancelled request, a disconnect included
   * (then nothing is written whatever it sets).
   */
  onCancel?: (error: unknown, ctx: Context) => void;
}

const answered = new WeakSet<object>();

/**
 * Koa middleware giving every request a scope, reachable as `ctx.scope` and as `Cancelable.current()`
 * in the middleware after it. The scope is cancelled when the client disconnects (never because a body
 * was read), when `options.timeout` passes (503), when the caller's deadline header runs out (504), or
 * by `gracefulShutdown` (503, `Connection: close`); the answer is set at once, even if the downstream
 * middleware ignores the cancellation, unless headers were sent; a disconnect writes nothing. A
 * downstream failure is rethrown to Koa's error handling, unchanged. Used again on one route (or
 * through {@link routeTimeout}), it is a child scope with that route's timeout. A streamed body (a Node
 * or web stream, a `Blob`, a `Response`) keeps the scope until Koa has written it; cancelled meanwhile,
 * the body is destroyed and the response cut.
 * @example
 * ```ts
 * import Koa from 'koa';
 * import { Cancelable } from 'cancelable-ts';
 * import { requestScope } from 'cancelable-ts/koa';
 * const app = new Koa();
 * app.use(requestScope({ timeout: 10_000 }));
 * app.use(async (ctx) => {
 *   await Cancelable.current()!.sleep(100); // rejects if the client leaves
 *   ctx.body = { id: ctx.scope!.id };
 * });
 * ```
 */
export function requestScope(options?: KoaScopeOptions): Middleware {
  const { scopeOptions, onCancel } = checkAdapterOptions('options', options);
  return async function cancelableRequestScope(ctx: Context, next: Next): Promise<void> {
    const outer = ctx.scope;
    const scope = isRunningScope(outer)
      ? nestedRouteScope(outer, scopeOptions.timeout ?? Infinity, { req: ctx.req, res: ctx.res })
      : nodeRequestScope(ctx.req, ctx.res, scopeOptions);
    ctx.scope = scope;
    try {
      await runHandingOver(scope, async (running, handOver) => {
        await running.race(next());
        const body: unknown = ctx.body;
        if (ctx.respond === false || !isStreamedBody(body)) return;
        // Koa pipes a stream body after the middleware returns: hand the request over, and keep the
        // scope running until the response is done, so a timeout, a shutdown or a disconnect stops it.
        handOver();
        await untilResponseWritten(running, ctx.res, body);
      });
    } catch (error) {
      if (statusFor(error) === undefined) throw error;
      answer(scope, error, ctx, onCancel);
    } finally {
      if (isRunningScope(outer)) ctx.scope = outer;
    }
  };
}

/**
 * Per-route timeout for Koa (e.g. in a `@koa/router` route): `requestScope({ timeout: ms })`, a child
 * of the application's request scope when there is one (it tightens, never extends, its timeout).
 * @example
 * ```ts
 * router.get('/slow', routeTimeout(500), async (ctx) => { ctx.body = await report(ctx.scope!.signal); });
 * ```
 */
export function routeTimeout(ms: number, options?: Omit<KoaScopeOptions, 'timeout'>): Middleware {
  const timeout = checkRouteTimeout(ms);
  return requestScope({ ...options, timeout });
}

/** A body Koa streams (a Node stream, a web `ReadableStream`, a `Blob` or a `Response`), not one it writes at once. */
function isStreamedBody(body: unknown): body is object {
  if (typeof body !== 'object' || body === null) return false;
  return (
    typeof (body as { pipe?: unknown }).pipe === 'function' ||
    typeof (body as { getReader?: unknown }).getReader === 'function' ||
    (typeof Blob === 'function' && body instanceof Blob) ||
    (typeof Response === 'function' && body instanceof Response)
  );
}

function answer(scope: Cancelable, error: unknown, ctx: Context, onCancel: KoaScopeOptions['onCancel']): void {
  // A route scope and the application's both end on a disconnect: answer once.
  if (answered.has(ctx)) return;
  answered.add(ctx);
  const mapped = statusFor(error)!;
  if (onCancel !== undefined) {
    try {
      onCancel(error, ctx);
      if (!mapped.write) ctx.respond = false;
      return;
    } catch (hookError) {
      reportCallbackError(scope, 'onCancel', hookError);
    }
  }
  if (!mapped.write) {
    // The client is gone: Koa must not write (499 is for logs).
    ctx.respond = false;
    return;
  }
  if (ctx.headerSent) return;
  ctx.status = mapped.status;
  ctx.set(mapped.headers);
  ctx.body = mapped.body;
}
