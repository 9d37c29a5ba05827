/**
 * `handleRequest()`: run a handler in its request scope and answer a cancellation with the mapped
 * status (SPEC §10's table).
 */
import type { Cancelable } from '../cancelable.js';
import { checkFunction, checkKnownKeys, describeValue, log } from '../core/index.js';
import { createRequestScope, requestScopeOptionKeys, type RequestScopeOptions } from './request-scope.js';
import { statusFor, writeCancelResponse, type CancelResponse } from './status.js';
import { isNodeRequest, isNodeResponse, isWebRequest, type NodeRequest, type NodeResponse } from './types.js';

/** Options of {@link handleRequest}: those of `requestScope`, plus the cancellation hook. */
export interface HandleRequestOptions extends RequestScopeOptions {
  /**
   * Called instead of the default answer when the handler was cancelled: `error` is the scope's
   * cancellation error; write the response yourself (or not). For a web `Request`, return the
   * `Response` to send. Default: {@link writeCancelResponse} / the mapped `Response`.
   */
  onCancel?: (error: unknown, req: NodeRequest | Request, res: NodeResponse | undefined) => void | Response | Promise<void | Response>;
}

const handleOptionKeys: ReadonlySet<string> = new Set([...requestScopeOptionKeys, 'onCancel']);

/** A handler for a `node:http` / `node:http2` request. */
export type NodeHandler = (scope: Cancelable, req: NodeRequest, res: NodeResponse) => unknown;

/** A handler for a web `Request`. */
export type WebHandler = (scope: Cancelable, request: Request) => Response | PromiseLike<Response>;

/**
 * Runs `handler` in a new request scope (see `requestScope`): `Cancelable.current()` is that scope
 * inside it. When the handler is cancelled and the response has not started, writes the mapped status
 * (route timeout 503, caller's deadline 504, shutdown 503 with `Connection: close`; a disconnect
 * writes nothing), or calls `options.onCancel`. Resolves once the handler's scope has ended; rejects
 * with the handler's own error when it failed (not a cancellation), so the framework's error handling
 * sees it unchanged.
 *
 * For a web `Request` the handler returns the `Response`; a cancelled one resolves to the mapped
 * `Response` (a disconnect to a 499 nobody reads).
 *
 * @example
 * ```ts
 * http.createServer((req, res) => {
 *   handleRequest(req, res, async (scope) => {
 *     const answer = await fetch('http://127.0.0.1:9000/slow'); // from cancelable-ts/http: scope's signal and budget
 *     res.end(await answer.text());
 *   }, { timeout: 2_000 }).catch((error) => { res.statusCode = 500; res.end(String(error)); });
 * });
 * ```
 */
export function handleRequest(req: NodeRequest, res: NodeResponse, handler: NodeHandler, options?: HandleRequestOptions): Promise<void>;
export function handleRequest(request: Request, handler: WebHandler, options?: HandleRequestOptions): Promise<Response>;
export function handleRequest(
  first: NodeRequest | Request,
  second: NodeResponse | WebHandler,
  third?: NodeHandler | HandleRequestOptions,
  fourth?: HandleRequestOptions,
): Promise<void> | Promise<Response> {
  if (isWebRequest(first)) {
    const handler = checkFunction('handler', second as WebHandler);
    const options = third as HandleRequestOptions | undefined;
    const onCancel = onCancelOf(options);
    const scope = createRequestScope(undefined, undefined, first, options, handleOptionKeys);
    return scope.run((s) => handler(s, first)).then<Response, Response>(undefined, (error: unknown) => webAnswer(error, first, onCancel));
  }
  if (!isNodeRequest(first)) throw new TypeError(`handleRequest() needs a node:http request or a web Request, got ${describeValue(first)}`);
  if (!isNodeResponse(second)) throw new TypeError(`handleRequest(req, res, handler) needs the node:http response as res, got ${describeValue(second)}`);
  const handler = checkFunction('handler', third as NodeHandler);
  const onCancel = onCancelOf(fourth);
  const scope = createRequestScope(first, second, undefined, fourth, handleOptionKeys);
  return scope.run((s) => handler(s, first, second)).then(toUndefined, (error: unknown) => nodeAnswer(error, first, second, onCancel));
}

/** The checked `onCancel` of the options (createRequestScope checks the other keys, and ignores this one). */
function onCancelOf(options: HandleRequestOptions | undefined): HandleRequestOptions['onCancel'] {
  const onCancel = typeof options === 'object' && options !== null ? options.onCancel : undefined;
  if (onCancel !== undefined && typeof onCancel !== 'function') {
    checkKnownKeys('options', options, handleOptionKeys); // a bad key is reported first, as before
    checkFunction('options.onCancel', onCancel);
  }
  return onCancel;
}

function toUndefined(): undefined {
  return undefined;
}

async function nodeAnswer(error: unknown, req: NodeRequest, res: NodeResponse, onCancel: HandleRequestOptions['onCancel']): Promise<void> {
  const answer = statusFor(error);
  if (answer === undefined) throw error;
  if (onCancel !== undefined) {
    await onCancel(error, req, res);
    return;
  }
  writeCancelResponse(res, error);
}

async function webAnswer(error: unknown, request: Request, onCancel: HandleRequestOptions['onCancel']): Promise<Response> {
  const answer = statusFor(error);
  if (answer === undefined) throw error;
  if (onCancel !== undefined) {
    const custom = await onCancel(error, request, undefined);
    if (custom instanceof Response) return custom;
  }
  return responseFor(answer);
}

/**
 * The web `Response` for a mapped cancellation (a disconnect gives a bodiless 499 nobody reads).
 * @example
 * ```ts
 * catch (error) { const answer = statusFor(error); if (answer) return cancelResponse(answer); throw error; }
 * ```
 */
export function cancelResponse(answer: CancelResponse): Response {
  if (!answer.write) {
    log(undefined, 'debug', 'cancelable-ts/http: client disconnected (499)', { status: 499 });
    return new Response(null, { status: 499 });
  }
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

const responseFor = cancelResponse;
