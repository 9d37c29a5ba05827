/**
 * Hono 4 middleware: one request scope per request, built on the web `Request` (its `signal` is the
 * disconnect), so it works on every runtime Hono runs on; on @hono/node-server, on the Node request.
 */
import type { Context, ErrorHandler, MiddlewareHandler, Next } from 'hono';
import type { Cancelable } from '../cancelable.js';
import { describeValue, reportCallbackError } from '../core/index.js';
import { createRequestScope, type RequestScopeOptions } from '../http/request-scope.js';
import { statusFor } from '../http/status.js';
import { cancelResponse } from '../http/handle.js';
import { streamingResponses } from '../http/web-stream.js';
import { isNodeRequest, isNodeResponse, type NodeRequest, type NodeResponse } from '../http/types.js';
import {
  checkAdapterOptions,
  checkRouteTimeout,
  isRunningScope,
  nestedRouteScope,
  nodeRequestScope,
  runHandingOver,
  untilResponseWritten,
} from '../adapters/common.js';

declare module 'hono' {
  interface ContextVariableMap {
    /**
     * The request's scope (set by `cancelable-ts/hono`): the same object as `Cancelable.current()` in
     * the handler. Its `signal` aborts when the client disconnects or the request times out.
     */
    scope: Cancelable;
  }
}

/** Options of the Hono {@link requestScope} middleware. */
export interface HonoScopeOptions extends RequestScopeOptions {
  /**
   * Answers a cancelled request instead of the default mapping (503 on a route timeout, 504 on an
   * expired caller deadline, 503 + `Connection: close` on shutdown, an unsent 499 on a disconnect):
   * return the `Response`, or `undefined` for the default.
   */
  onCancel?: (error: unknown, c: Context) => Response | undefined;
}

/**
 * Hono middleware giving every request a scope, reachable as `c.get('scope')` / `c.var.scope` and as
 * `Cancelable.current()` in the handlers after it; any runtime (it uses the web `Request`'s signal).
 * The scope is cancelled when the client disconnects, when `options.timeout` passes (503), when the
 * caller's deadline header runs out (504), or by `gracefulShutdown`; that answer is returned at once,
 * even if the handler ignores the cancellation. A handler's failure goes to Hono's `onError`,
 * unchanged; its rejection with its own cancellation is answered with the mapped status instead (wrap
 * your `onError` in {@link cancelationErrors} so it does not see those). Used
 * on a route after an application-wide one, it is a child scope with the route's timeout. On
 * @hono/node-server the scope lasts until the `Response` is written, a streamed body included
 * (cancelled meanwhile, the response is cut and the body's stream cancelled); elsewhere it ends when
 * the handler has returned the `Response`.
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { Cancelable } from 'cancelable-ts';
 * import { requestScope } from 'cancelable-ts/hono';
 * const app = new Hono();
 * app.use(requestScope({ timeout: 10_000 }));
 * app.get('/report', requestScope({ timeout: 2_000 }), async (c) => {
 *   await Cancelable.current()!.sleep(100); // rejects if the client leaves
 *   return c.json({ id: c.var.scope.id });
 * });
 * ```
 */
export function requestScope(options?: HonoScopeOptions): MiddlewareHandler {
  const { scopeOptions, onCancel } = checkAdapterOptions('options', options);
  return async function cancelableRequestScope(c: Context, next: Next): Promise<Response | void> {
    const outer: unknown = c.get('scope');
    const node = nodeBindings(c);
    const request = node ?? c.req.raw;
    const scope = isRunningScope(outer)
      ? nestedRouteScope(outer, scopeOptions.timeout ?? Infinity, request)
      : node !== undefined
        ? nodeRequestScope(node.req, node.res, scopeOptions)
        : createRequestScope(undefined, undefined, c.req.raw, scopeOptions, null);
    c.set('scope', scope);
    try {
      await runHandingOver(scope, async (running, handOver) => {
        await running.race(next());
        if (node === undefined) {
          // Elsewhere only a body built by sseResponse()/ndjsonResponse() says when it ends: hold for it.
          const streaming = c.finalized ? streamingResponses.get(c.res) : undefined;
          if (streaming === undefined) return;
          handOver();
          await streaming;
          return;
        }
        // On Node the server writes the Response after the middleware returns: hand it over, and keep
        // the scope running until it is written, so a timeout, a shutdown or a disconnect reaches a
        // streamed body (and the scopes its streaming callback started) too.
        handOver();
        await untilResponseWritten(running, node.res);
      });
    } catch (error) {
      if (statusFor(error) === undefined) throw error;
      return answer(scope, error, c, onCancel);
    } finally {
      if (isRunningScope(outer)) c.set('scope', outer);
    }
    // The handler rejected with a cancellation (its own, or one it got elsewhere, e.g. its own
    // timeout) and onError answered it: map it instead.
    const handled: unknown = c.error;
    if (handled !== undefined && statusFor(handled) !== undefined) return answer(scope, handled, c, onCancel);
    return undefined;
  };
}

/**
 * On @hono/node-server the Node request and response are in `c.env` (`incoming`, `outgoing`): the scope
 * then follows the Node disconnect rules and belongs to its server (so `gracefulShutdown` reaches it).
 * Elsewhere the web `Request` is all there is.
 */
function nodeBindings(c: Context): { req: NodeRequest; res: NodeResponse } | undefined {
  const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined;
  if (env === undefined || env === null) return undefined;
  return isNodeRequest(env.incoming) && isNodeResponse(env.outgoing) ? { req: env.incoming, res: env.outgoing } : undefined;
}

/**
 * Per-route timeout for Hono: `requestScope({ timeout: ms })`, a child of the application's request
 * scope when there is one (it tightens, never extends, its timeout). Answered with 503.
 * @example
 * ```ts
 * app.get('/slow', routeTimeout(500), async (c) => c.text(await (await fetch(upstream, { signal: c.var.scope.signal })).text()));
 * ```
 */
export function routeTimeout(ms: number, options?: Omit<HonoScopeOptions, 'timeout'>): MiddlewareHandler {
  const timeout = checkRouteTimeout(ms);
  return requestScope({ ...options, timeout });
}

/**
 * Wraps your `app.onError` handler so that a cancellation (the request's own, or one the handler got
 * elsewhere, e.g. its own timeout: mapped the same way) skips it. Hono hands a
 * handler's rejection to `onError` before any middleware sees it, so without this your handler (and
 * Hono's default one, which logs) also sees every disconnect and timeout; {@link requestScope}
 * replaces whatever it answers with the mapped status anyway. Other errors reach `handler` unchanged.
 * @example
 * ```ts
 * app.onError(cancelationErrors((err, c) => c.text(`failed: ${err.message}`, 500)));
 * ```
 */
export function cancelationErrors(handler: ErrorHandler): ErrorHandler {
  if (typeof handler !== 'function') throw new TypeError(`cancelationErrors(handler) needs your onError handler, got ${describeValue(handler)}`);
  return (error, c) => {
    const scope: unknown = c.get('scope');
    const mapped = isScope(scope) ? statusFor(error) : undefined;
    if (mapped !== undefined) return mapped.write ? cancelResponse(mapped) : unsentResponse();
    return handler(error, c);
  };
}

/** A request scope, running or ended (the error may arrive after it ended). */
function isScope(value: unknown): value is Cancelable {
  return typeof value === 'object' && value !== null && 'signal' in value && 'isCancelled' in value;
}

const answered = new WeakSet<object>();

function answer(scope: Cancelable, error: unknown, c: Context, onCancel: HonoScopeOptions['onCancel']): Response {
  // A route scope and the application's may both see the cancellation: the first answer stands.
  if (answered.has(c)) return c.res;
  answered.add(c);
  let response: Response | undefined;
  if (onCancel !== undefined) {
    try {
      response = onCancel(error, c);
    } catch (hookError) {
      reportCallbackError(scope, 'onCancel', hookError);
    }
  }
  if (response === undefined) {
    const mapped = statusFor(error)!;
    response = mapped.write ? cancelResponse(mapped) : unsentResponse();
  }
  pin(c, response);
  return response;
}

/**
 * The answer to a client that is gone: a bodiless 499 (nginx's convention, for logs) marked with
 * `x-hono-already-sent`, which @hono/node-server honours by writing nothing. Reading `type` moves its
 * light-weight Response off the fast path that would not look at headers; elsewhere it is a no-op.
 */
function unsentResponse(): Response {
  const response = new Response(null, { status: 499, headers: { 'x-hono-already-sent': 'true' } });
  void response.type;
  return response;
}

/**
 * Makes `response` the request's final answer. The handler may still settle after the answer (it was
 * cancelled, or ignores cancellation): Hono would then set `c.res` to its result or to `onError`'s
 * answer, replacing ours; an own `res` property on this request's context keeps ours.
 */
function pin(c: Context, response: Response): void {
  c.res = undefined;
  c.res = response;
  Object.defineProperty(c, 'res', {
    configurable: true,
    get: () => response,
    set: () => {
      // answered: a late result does not replace the answer
    },
  });
}
