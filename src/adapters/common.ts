/**
 * What the framework adapters (`cancelable-ts/express`, `/fastify`, `/hono`, `/koa`) share: option
 * checks, the wait for a Node response to be done, and the nested scope of a per-route timeout. The
 * request scope itself, disconnect detection, deadlines and the status mapping are `cancelable-ts/http`'s.
 */
import type { Cancelable } from '../cancelable.js';
import { checkFunction, checkKnownKeys, describeValue, noop, onCancellation } from '../core/index.js';
import { createRequestScope, requestScope, requestScopeOptionKeys, type RequestScopeOptions } from '../http/request-scope.js';
import type { NodeRequest, NodeResponse } from '../http/types.js';

/** @internal Checks an adapter's options: the request-scope options plus `onCancel`. */
export function checkAdapterOptions<O extends RequestScopeOptions & { onCancel?: unknown }>(
  name: string,
  options: O | undefined,
): { scopeOptions: RequestScopeOptions; onCancel: O['onCancel'] | undefined } {
  checkKnownKeys(name, options, adapterOptionKeys);
  if (options === undefined) return { scopeOptions: {}, onCancel: undefined };
  const { onCancel, ...scopeOptions } = options;
  if (onCancel !== undefined) checkFunction(`${name}.onCancel`, onCancel);
  // Bad options fail here, at the call, not on every request: requestScope checks them, and a scope
  // that is never started holds nothing (no listener, no timer, no registration).
  requestScope(new Request('http://localhost/'), scopeOptions);
  return { scopeOptions, onCancel };
}

const adapterOptionKeys: ReadonlySet<string> = new Set([...requestScopeOptionKeys, 'onCancel']);

/** @internal Checks the `ms` of a `routeTimeout(ms)`. */
export function checkRouteTimeout(ms: unknown): number {
  if (ms === Infinity) return Infinity;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`routeTimeout(ms) needs a finite number of milliseconds >= 0 (or Infinity), got ${describeValue(ms)}`);
  }
  return ms;
}

/**
 * @internal The scope of a per-route timeout when an application-wide request scope already runs: a
 * request scope of its own (so its timeout maps to 503 like any route timeout) that is the child of
 * the outer one (a disconnect, a caller's deadline or a shutdown of the outer one reaches it). It reads
 * no deadline header: the outer scope already holds the caller's deadline, counted from arrival.
 */
export function nestedRouteScope(outer: Cancelable, ms: number, node: { req: NodeRequest; res: NodeResponse } | Request): Cancelable {
  const options: RequestScopeOptions = { timeout: ms, parent: outer, deadlineHeaders: [], name: outer.name };
  return 'req' in node ? nodeRequestScope(node.req, node.res, options) : createRequestScope(undefined, undefined, node, options, null);
}

/**
 * @internal `requestScope(req, res, options)` for an adapter: the framework hands it Node's request and
 * response, and the options were checked when the adapter was created, so neither is looked at again
 * on each request (reads of a framework's request and response go through long prototype chains).
 */
export function nodeRequestScope(req: NodeRequest, res: NodeResponse, options: RequestScopeOptions): Cancelable {
  return createRequestScope(req, res, undefined, options, null);
}

/**
 * @internal Settles when the response is done (fulfilled: finished, or closed) or when `scope` is
 * cancelled (rejected with its error), whichever comes first. What `scope.race()` of a promise of the
 * response's end does, with one promise and one entry in the scope's waiters instead of two promises,
 * a wait and a race link per request. Already done: resolves at once. Every listener is removed when
 * it settles. Like a race, it resolves a microtask after the response's event, so that a cancellation
 * delivered during that event rejects it.
 */
export function untilResponseDoneIn(scope: Cancelable, res: NodeResponse): Promise<void> {
  const error = scope.cancelError;
  if (error !== undefined) return Promise.reject(error);
  if (res.writableFinished || res.destroyed || (res as { closed?: boolean }).closed === true) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const off = (): void => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
    };
    const settle = (): void => {
      unlisten();
      resolve();
    };
    const done = (): void => {
      off();
      // A microtask later: a response closed before its end is a disconnect, which the request's
      // source reports in the same 'close' emit (the socket's, or the response's); it must win.
      queueMicrotask(settle);
    };
    res.on('finish', done);
    res.on('close', done);
    const unlisten = onCancellation(scope, (cancelError) => {
      off();
      reject(cancelError);
    });
  });
}

/**
 * @internal Waits until the framework has written the whole response (Koa's piped body, Hono's on
 * @hono/node-server) while the request's scope runs. When the scope is cancelled first (a timeout, a
 * shutdown, a disconnect), the body is stopped: a Node stream `body` is destroyed with the
 * cancellation error, and the response is destroyed, which also cancels a web stream the server is
 * reading; the client sees a cut response, never a clean end of a truncated body. Rejects with the
 * cancellation error.
 */
export async function untilResponseWritten(scope: Cancelable, res: NodeResponse, body?: object): Promise<void> {
  try {
    await untilResponseDoneIn(scope, res);
  } catch (error) {
    const stream = body as { destroy?: (error?: Error) => void; destroyed?: boolean } | undefined;
    if (typeof stream?.destroy === 'function' && stream.destroyed !== true) stream.destroy(error as Error);
    const destroy = (res as { destroy?: () => void }).destroy;
    if (!res.writableEnded && !res.destroyed && typeof destroy === 'function') destroy.call(res);
    throw error;
  }
}

/** @internal Whether `value` is a running scope (a request scope set by an outer adapter). */
export function isRunningScope(value: unknown): value is Cancelable {
  return typeof value === 'object' && value !== null && (value as { isRunning?: unknown }).isRunning === true && 'signal' in value;
}

/**
 * @internal Runs `body` in `scope` for a framework that writes the response after the middleware
 * returns (Koa, Hono): settles as soon as the body hands the request back (`handOver()`, or its end),
 * or rejects with the run's error when the run fails before that (the adapter maps it). The run itself
 * goes on: children the handler started (a streamed body's scope) and a streamed body the adapter
 * waits for keep the request's scope running, so its timeout, disconnect and shutdown still reach
 * them; it ends when they do. A failure after the hand-over has nobody to answer: the response is
 * already the framework's.
 */
export function runHandingOver(scope: Cancelable, body: (running: Cancelable, handOver: () => void) => Promise<void>): Promise<void> {
  let handOver: () => void = noop;
  let fail: (error: unknown) => void = noop;
  const handedOver = new Promise<void>((resolve, reject) => {
    handOver = resolve;
    fail = reject;
  });
  // Resolving or rejecting a settled promise does nothing: after the hand-over, the run's end is dropped.
  scope
    .run(async (running) => {
      await body(running, handOver);
      handOver(); // the body is done: the framework answers while the run drains its children
    })
    .then(handOver, fail);
  return handedOver;
}
