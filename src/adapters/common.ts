/**
 * What the framework adapters (`cancelable-ts/express`, `/fastify`, `/hono`, `/koa`) share: option
 * checks, the wait for a Node response to be done, and the nested scope of a per-route timeout. The
 * request scope itself, disconnect detection, deadlines and the status mapping are `cancelable-ts/http`'s.
 */
import type { Cancelable } from '../cancelable.js';
import { checkFunction, checkKnownKeys, describeValue } from '../core/index.js';
import { requestScope, requestScopeOptionKeys, type RequestScopeOptions } from '../http/request-scope.js';
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
  return 'req' in node ? requestScope(node.req, node.res, options) : requestScope(node, options);
}

/**
 * @internal Resolves once a Node response is done: finished, or closed (the client left). Never
 * rejects; both listeners are removed once either fires. Already done → resolves at once.
 */
export function untilResponseDone(res: NodeResponse): Promise<void> {
  if (res.writableFinished || res.destroyed || (res as { closed?: boolean }).closed === true) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.removeListener('finish', done);
      res.removeListener('close', done);
      resolve();
    };
    res.on('finish', done);
    res.on('close', done);
  });
}

/** @internal Whether `value` is a running scope (a request scope set by an outer adapter). */
export function isRunningScope(value: unknown): value is Cancelable {
  return typeof value === 'object' && value !== null && (value as { isRunning?: unknown }).isRunning === true && 'signal' in value;
}
