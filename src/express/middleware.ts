/**
 * Express 5 middleware: one request scope per request, current for every handler after it, cancelled
 * when the client leaves, the route times out, the caller's deadline passes or the server shuts down.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Cancelable } from '../cancelable.js';
import { noop, reportCallbackError } from '../core/index.js';
import type { RequestScopeOptions } from '../http/request-scope.js';
import { statusFor, writeCancelResponse } from '../http/status.js';
import { checkAdapterOptions, checkRouteTimeout, isRunningScope, nestedRouteScope, nodeRequestScope, untilResponseDoneIn } from '../adapters/common.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The request's scope (set by `cancelable-ts/express`): the same object as `Cancelable.current()`
       * in the handler. Its `signal` aborts when the client disconnects or the request times out.
       */
      scope?: Cancelable;
    }
  }
}

/** Options of the Express {@link requestScope} middleware. */
export interface ExpressScopeOptions extends RequestScopeOptions {
  /**
   * Answers a cancelled request instead of the default mapping (503 on a route timeout, 504 on an
   * expired caller deadline, 503 + `Connection: close` on shutdown, nothing on a disconnect). Called
   * once per cancelled request, a disconnect included (not for a failure). `writeCancelResponse(res, error)` from
   * `cancelable-ts/http` writes the default. Headers may already be sent: check `res.headersSent`.
   */
  onCancel?: (error: unknown, req: Request, res: Response) => void;
}

/**
 * Express middleware giving every request a scope, reachable as `req.scope` and as
 * `Cancelable.current()` in the handlers after it. The scope is cancelled when the client disconnects
 * (never because a body was read), when `options.timeout` passes (503), when the caller's deadline
 * header runs out (504), or by `gracefulShutdown` (503, `Connection: close`); that status is written
 * at once, unless headers were sent; a disconnect writes nothing. The scope ends with the response.
 * A handler's failure goes to Express's own error handling, unchanged; add {@link cancelationErrors}
 * after your routes so a handler's rejection with its own cancellation (already answered) stops there.
 * @example
 * ```ts
 * import express from 'express';
 * import { Cancelable } from 'cancelable-ts';
 * import { requestScope, routeTimeout, cancelationErrors } from 'cancelable-ts/express';
 * const app = express();
 * app.use(requestScope({ timeout: 10_000 }));
 * app.get('/report', routeTimeout(2_000), async (req, res) => {
 *   await Cancelable.current()!.sleep(100); // rejects if the client leaves
 *   res.json({ ok: true });
 * });
 * app.use(cancelationErrors());
 * ```
 */
export function requestScope(options?: ExpressScopeOptions): RequestHandler {
  const { scopeOptions, onCancel } = checkAdapterOptions('options', options);
  return function cancelableRequestScope(req: Request, res: Response, next: NextFunction): void {
    const outer = req.scope;
    const scope = isRunningScope(outer)
      ? nestedRouteScope(outer, scopeOptions.timeout ?? Infinity, { req, res })
      : nodeRequestScope(req, res, scopeOptions);
    serve(scope, req, res, next, onCancel);
  };
}

/**
 * Per-route timeout for Express: the handlers after it run in a scope cancelled `ms` after the route
 * is reached, answered with 503. Inside {@link requestScope} it is a child of the request's scope (it
 * tightens, never extends, the application's timeout); on its own it is the request scope.
 * @example
 * ```ts
 * app.get('/slow', routeTimeout(500), async (req, res) => {
 *   const answer = await fetch('http://127.0.0.1:9000/', { signal: req.scope!.signal });
 *   res.send(await answer.text());
 * });
 * ```
 */
export function routeTimeout(ms: number, options?: Omit<ExpressScopeOptions, 'timeout'>): RequestHandler {
  const timeout = checkRouteTimeout(ms);
  return requestScope({ ...options, timeout });
}

/**
 * Express error middleware that stops a cancellation from going further: the request's own was already
 * answered (or the client is gone), so the error reaches neither your error handlers (which would try
 * to answer again) nor Express's final handler (which would close the connection); one the handler got
 * elsewhere (its own `withTimeout`) is answered here with the same mapping (504 for a timeout). Any
 * other error goes on, unchanged. Put it after your routes, before your error handlers.
 * @example
 * ```ts
 * app.use(requestScope());
 * app.get('/', handler);
 * app.use(cancelationErrors());
 * app.use((err, req, res, next) => { res.status(500).json({ error: err.message }); });
 * ```
 */
export function cancelationErrors(): ErrorRequestHandler {
  return function cancelationErrorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
    const scope = req.scope;
    if (scope !== undefined && statusFor(error) !== undefined) {
      // The request's own cancellation was answered when it happened (this repeats nothing); one the
      // handler got elsewhere (its own timeout) is answered here, mapped the same way.
      answerOnce(scope, error, req, res, hooks.get(scope));
      return;
    }
    next(error);
  };
}

const answered = new WeakSet<object>();
const hooks = new WeakMap<object, NonNullable<ExpressScopeOptions['onCancel']>>();

/** Runs the rest of the chain in `scope` until the response is done; answers a cancellation once. */
function serve(scope: Cancelable, req: Request, res: Response, next: NextFunction, onCancel: ExpressScopeOptions['onCancel']): void {
  req.scope = scope;
  if (onCancel !== undefined) hooks.set(scope, onCancel);
  scope
    .run(async (running) => {
      // next() runs the following handlers synchronously, in this scope's async context.
      next();
      await untilResponseDoneIn(running, res);
    })
    .then(noop, (error: unknown) => {
      answerOnce(scope, error, req, res, onCancel);
    });
}

function answerOnce(scope: Cancelable, error: unknown, req: Request, res: Response, onCancel: ExpressScopeOptions['onCancel']): void {
  // A nested route scope and its parent both end: the first to answer wins.
  if (answered.has(res)) return;
  if (statusFor(error) === undefined) return;
  answered.add(res);
  if (onCancel === undefined) {
    writeCancelResponse(res, error);
    return;
  }
  try {
    onCancel(error, req, res);
  } catch (hookError) {
    // A throwing hook is reported; the request still gets the default answer.
    reportCallbackError(scope, 'onCancel', hookError);
    writeCancelResponse(res, error);
  }
}
