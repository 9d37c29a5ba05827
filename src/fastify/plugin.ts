/**
 * The Fastify 5 plugin: one request scope per request (started when the request arrives, so a body
 * cut mid-upload cancels it), current in the route handler, ended with the response.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Cancelable } from '../cancelable.js';
import { checkKnownKeys, describeValue, noop, reportCallbackError, runtime } from '../core/index.js';
import { requestScope, requestScopeOptionKeys, type RequestScopeOptions } from '../http/request-scope.js';
import { statusFor } from '../http/status.js';
import { checkAdapterOptions, nodeRequestScope, untilResponseDoneIn } from '../adapters/common.js';

/** Per-route options: `config: { cancelable: { timeout: 2_000 } }`, or `false` for no scope. */
export type FastifyRouteScopeOptions = Omit<RequestScopeOptions, 'parent' | 'clock' | 'logger' | 'register'>;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The request's scope (set by the `cancelable-ts/fastify` plugin), the same object as
     * `Cancelable.current()` in the handler; `null` on a route with `config.cancelable: false`.
     */
    scope: Cancelable | null;
  }
  interface FastifyContextConfig {
    /** The route's request-scope options (`cancelable-ts/fastify`), or `false` for no scope. */
    cancelable?: FastifyRouteScopeOptions | false;
  }
}

/** Options of the Fastify {@link cancelablePlugin}: defaults for every route, and `onCancel`. */
export interface FastifyScopeOptions extends RequestScopeOptions {
  /**
   * Answers a cancelled request instead of the default mapping (503 on a route timeout, 504 on an
   * expired caller deadline, 503 + `Connection: close` on shutdown, nothing on a disconnect). Called
   * once per cancelled request, a disconnect included; check `reply.sent` before sending.
   */
  onCancel?: (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;
}

/** Keys Fastify's `register()` itself passes along with a plugin's options. */
const registerKeys = new Set(['prefix', 'logLevel', 'logSerializers']);
const routeKeys: ReadonlySet<string> = new Set([...requestScopeOptionKeys].filter((key) => !['parent', 'clock', 'logger', 'register'].includes(key)));

const answered = new WeakSet<object>();

/**
 * A Fastify plugin (applies to the instance it is registered on and everything registered after it,
 * like a `fastify-plugin`): every request gets a scope at `request.scope`, which is
 * `Cancelable.current()` in the route handler. It is cancelled when the client disconnects (never
 * because the body was read), when the route's timeout (`config: { cancelable: { timeout } }`, else
 * the plugin's) or the caller's deadline header passes, by `gracefulShutdown`, and when Fastify's own
 * `handlerTimeout` aborts `request.signal`. The mapped status is sent at once (503 route timeout, 504
 * deadline, 503 + `Connection: close` on shutdown, nothing on a disconnect) unless the reply was sent;
 * the handler's rejection with its own cancellation stops there, and any other error goes to Fastify's
 * error handling. Register it before the routes it should cover.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { Cancelable } from 'cancelable-ts';
 * import { cancelablePlugin } from 'cancelable-ts/fastify';
 * const app = Fastify();
 * await app.register(cancelablePlugin, { timeout: 10_000 });
 * app.get('/report', { config: { cancelable: { timeout: 2_000 } } }, async (request) => {
 *   await Cancelable.current()!.sleep(100); // rejects if the client leaves
 *   return { id: request.scope!.id };
 * });
 * ```
 */
export const cancelablePlugin: FastifyPluginCallback<FastifyScopeOptions> = Object.assign(
  function cancelablePlugin(fastify: FastifyInstance, options: FastifyScopeOptions, done: (error?: Error) => void): void {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options ?? {})) if (!registerKeys.has(key)) own[key] = value;
    let checked: ReturnType<typeof checkAdapterOptions<FastifyScopeOptions>>;
    try {
      checked = checkAdapterOptions('options', own as FastifyScopeOptions);
    } catch (error) {
      // Fastify reports a plugin's failure through done(), not a throw (avvio would not catch it).
      done(error as Error);
      return;
    }
    const { scopeOptions, onCancel } = checked;
    fastify.decorateRequest('scope', null);
    fastify.addHook('onRoute', (route: RouteOptions) => {
      const config = (route.config as { cancelable?: unknown } | undefined)?.cancelable;
      if (config !== undefined && config !== false) {
        if (typeof config !== 'object' || config === null) throw new TypeError(`config.cancelable of ${String(route.method)} ${route.url} must be an object or false, got ${describeValue(config)}`);
        checkKnownKeys(`config.cancelable of ${String(route.method)} ${route.url}`, config, routeKeys);
        // Its values too, now rather than on every request (a scope never started holds nothing).
        requestScope(new Request('http://localhost/'), { ...scopeOptions, ...(config as FastifyRouteScopeOptions) });
      }
      route.handler = wrapHandler(route.handler, onCancel);
    });
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, next: () => void) => {
      const config = (request.routeOptions.config as { cancelable?: FastifyRouteScopeOptions | false } | undefined)?.cancelable;
      if (config === false) {
        next();
        return;
      }
      // The options were checked at registration, the route's config when the route was added.
      const scope = nodeRequestScope(request.raw, reply.raw, config === undefined ? scopeOptions : { ...scopeOptions, ...config });
      request.scope = scope;
      const release = adoptHandlerTimeout(request, scope);
      scope
        .run(async (running) => {
          await untilResponseDoneIn(running, reply.raw);
        })
        .then(release, (error: unknown) => {
          release();
          answerOnce(scope, error, request, reply, onCancel);
        });
      next();
    });
    done();
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'cancelable-ts',
    [Symbol.for('plugin-meta')]: { name: 'cancelable-ts', fastify: '5.x' },
  },
);

/** Runs a route handler with the request scope current; a rejection with a cancellation is answered here. */
function wrapHandler(handler: RouteOptions['handler'], onCancel: FastifyScopeOptions['onCancel']): RouteOptions['handler'] {
  return function cancelableHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
    const scope = request.scope;
    if (scope === null || !scope.isRunning) return handler.call(this, request, reply);
    let result: unknown;
    try {
      result = runtime.storage.run(scope, () => handler.call(this, request, reply));
    } catch (error) {
      if (answerIfOwn(scope, error, request, reply, onCancel)) return undefined;
      throw error;
    }
    if (!(result instanceof Promise)) return result;
    return result.then(undefined, (error: unknown) => {
      if (answerIfOwn(scope, error, request, reply, onCancel)) return undefined;
      throw error;
    });
  };
}

/** A cancellation (the request's own, or one the handler got elsewhere, e.g. its own timeout) is answered with the mapped status. */
function answerIfOwn(scope: Cancelable, error: unknown, request: FastifyRequest, reply: FastifyReply, onCancel: FastifyScopeOptions['onCancel']): boolean {
  if (statusFor(error) === undefined) return false;
  answerOnce(scope, error, request, reply, onCancel);
  return true;
}

/** Sends the mapped status (or calls `onCancel`) once per reply, unless it was sent or the client left. */
function answerOnce(scope: Cancelable, error: unknown, request: FastifyRequest, reply: FastifyReply, onCancel: FastifyScopeOptions['onCancel']): void {
  if (answered.has(reply)) return;
  const answer = statusFor(error);
  if (answer === undefined) return;
  answered.add(reply);
  if (onCancel !== undefined) {
    try {
      onCancel(error, request, reply);
      return;
    } catch (hookError) {
      reportCallbackError(scope, 'onCancel', hookError);
    }
  }
  if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
  if (!answer.write) return;
  const http2 = request.raw.httpVersionMajor === 2;
  for (const [name, value] of Object.entries(answer.headers)) {
    // HTTP/2 forbids connection-specific headers.
    if (!(http2 && name === 'connection')) void reply.header(name, value);
  }
  void reply.code(answer.status).send(answer.body);
}

/**
 * Fastify's own `handlerTimeout` aborts `request.signal` with `FST_ERR_HANDLER_TIMEOUT`: the scope
 * follows it. Only that abort is adopted: Fastify's signal also aborts when the request stream closes,
 * which happens once a body has been read (fastify#6725); the scope has its own disconnect rules.
 * `request.signal` is read only when Fastify already made it (reading it creates one otherwise).
 */
function adoptHandlerTimeout(request: FastifyRequest, scope: Cancelable): () => void {
  if (!(request.routeOptions.handlerTimeout > 0)) return noop;
  const signal = request.signal;
  const onAbort = (): void => {
    const reason = signal.reason as { code?: unknown; message?: unknown } | undefined;
    if (reason?.code !== 'FST_ERR_HANDLER_TIMEOUT') return;
    scope.cancel({ reason: 'timeout', message: typeof reason.message === 'string' ? reason.message : 'Fastify handlerTimeout' });
  };
  if (signal.aborted) {
    onAbort();
    return noop;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
