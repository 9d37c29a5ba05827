/**
 * `requestScope()`: one scope per HTTP request, for `node:http` / `node:http2` (request, response) and
 * for a web `Request` (SPEC §10).
 */
import { Cancelable } from '../cancelable.js';
import {
  checkDuration,
  checkDurationOrInfinity,
  checkFunction,
  checkKnownKeys,
  checkOptionalString,
  type CancelScope,
  describeValue,
  getDefaultClock,
  log,
  reportCallbackError,
  type CancelableOptions,
  type Clock,
  type Logger,
  type ScopeObserver,
} from '../core/index.js';
import {
  checkDeadlineHeader,
  DEADLINE_HEADERS,
  readInboundDeadline,
  type DeadlineHeader,
  type HeaderReader,
  type InboundDeadline,
  type InvalidDeadline,
} from './headers.js';
import { RequestSource, RequestState, stateOfScope } from './request-source.js';
import { isNodeRequest, isNodeResponse, isWebRequest, type NodeRequest, type NodeResponse } from './types.js';

/** Options of {@link requestScope}. */
export interface RequestScopeOptions {
  /**
   * The route timeout in ms, counted from the request's arrival (the call to `requestScope`): the scope
   * is cancelled with a `TimeoutCancelation` and the response is 503. Default: none.
   */
  timeout?: number;
  /**
   * The inbound deadline headers read, in order (the first well-formed one wins); `[]` reads none.
   * Default: `grpc-timeout`, `connect-timeout-ms`, `x-envoy-expected-rq-timeout-ms`, `prefer` (`wait=N`).
   * The local deadline is arrival + min(caller's budget − `deadlineMarginMs`, route timeout): a client
   * never extends the route's policy. When the caller's budget runs out the response is 504.
   */
  deadlineHeaders?: readonly DeadlineHeader[];
  /** Taken off the caller's budget (time for the answer to travel back), ms. Default 0. */
  deadlineMarginMs?: number;
  /**
   * Called for each deadline header that was present but malformed or repeated (it is ignored, never
   * trusted). Default: a `warn` on the scope's logger. A throwing hook is reported and ignored.
   */
  onInvalidDeadline?: (invalid: InvalidDeadline) => void;
  /** Seconds for the `Retry-After` header of the 503 sent on a route timeout. Default: none. */
  retryAfter?: number;
  /**
   * The runtime's own signal for this request, adopted as a source (Fastify's `request.signal`): its
   * abort is a disconnect, or a route timeout when its reason is a `TimeoutError`.
   */
  signal?: AbortSignal;
  /**
   * The parent scope. Default `null`: the request scope is a root, detached from whatever scope was
   * current when the server started listening. Pass an application scope to have its cancellation
   * reach every request.
   */
  parent?: CancelScope | null;
  /** The scope's name. Default: `'<METHOD> <path>'`. */
  name?: string;
  /** See `CancelableOptions.graceMs`. */
  graceMs?: number;
  /** See `CancelableOptions.metadata`. */
  metadata?: Record<string, unknown>;
  /** See `CancelableOptions.register`. */
  register?: boolean | ScopeObserver;
  /** See `CancelableOptions.clock`. */
  clock?: Clock;
  /** See `CancelableOptions.logger`. */
  logger?: Logger;
}

/** @internal The keys of {@link RequestScopeOptions}. */
export const requestScopeOptionKeys: ReadonlySet<string> = new Set([
  'timeout',
  'deadlineHeaders',
  'deadlineMarginMs',
  'onInvalidDeadline',
  'retryAfter',
  'signal',
  'parent',
  'name',
  'graceMs',
  'metadata',
  'register',
  'clock',
  'logger',
]);

/** What a request scope knows about its request's deadline (see {@link requestInfo}). */
export interface RequestInfo {
  /** The deadline header family the caller spoke, if any (outbound calls answer in kind). */
  readonly header: DeadlineHeader | undefined;
  /** The caller's budget as sent, ms (before the margin), if any. */
  readonly callerBudgetMs: number | undefined;
  /** The route timeout, ms (`Infinity` when none). */
  readonly routeTimeoutMs: number;
  /** The local deadline, epoch ms on the scope's clock (`Infinity` when none). */
  readonly deadline: number;
  /** Whether the deadline comes from the route timeout or from the caller's header. */
  readonly deadlineBy: 'route' | 'caller' | undefined;
  /** Deadline headers that were present but ignored. */
  readonly invalidDeadlines: readonly InvalidDeadline[];
  /** What ended the scope, as far as the HTTP layer knows (`undefined` while it has not). */
  readonly end: 'disconnect' | 'route-timeout' | 'deadline' | 'shutdown' | undefined;
}

const defaultHeaders: readonly DeadlineHeader[] = DEADLINE_HEADERS;
const noOptions: RequestScopeOptions = Object.freeze({});
/** Shared by the requests that sent no deadline header (never written: nothing was ignored). */
const noInvalid: InvalidDeadline[] = Object.freeze([]) as unknown as InvalidDeadline[];

/** Whether a Node request carries one of the headers of `list` (a property read each, no closure). */
function hasAnyHeader(headers: Record<string, unknown>, list: readonly DeadlineHeader[]): boolean {
  for (let i = 0; i < list.length; i++) if (headers[list[i]!] !== undefined) return true;
  return false;
}

/**
 * A scope for one HTTP request: cancelled with a `DisconnectCancelation` when the client goes away
 * (the response closed before it ended, or the request was cut before its body completed — never
 * because the body was read; HTTP/1.1 and HTTP/2 alike), with a `TimeoutCancelation` when the route
 * timeout or the caller's propagated deadline passes, and with a `SignalCancelation` when
 * {@link gracefulShutdown} gives up waiting for it. The scope is returned not started: run the handler
 * in it (`scope.run(handler)`, or {@link handleRequest}, which also writes the status), so the handler's
 * `Cancelable.current()` is the request scope. It is a root (`parent: null`) unless `options.parent` is
 * given. Listeners are removed when the response closes or the scope ends.
 *
 * Forms: `requestScope(req, res, options?)` for `node:http` and `node:http2` (compatibility API), and
 * `requestScope(request, options?)` for a web `Request` (its `signal` is the disconnect).
 *
 * @example
 * ```ts
 * http.createServer((req, res) =>
 *   requestScope(req, res, { timeout: 5_000 }).run(async (scope) => {
 *     const upstream = await fetch('http://127.0.0.1:9000/slow', { signal: scope.signal });
 *     res.end(await upstream.text());
 *   }).catch(() => {}),
 * );
 * ```
 */
export function requestScope(req: NodeRequest, res: NodeResponse, options?: RequestScopeOptions): Cancelable;
export function requestScope(request: Request, options?: RequestScopeOptions): Cancelable;
export function requestScope(
  first: NodeRequest | Request,
  second?: NodeResponse | RequestScopeOptions,
  third?: RequestScopeOptions,
): Cancelable {
  // The Node form first: it is the common one, and telling it apart needs no look at the request's
  // headers (a Node request's `headers` is built on first read).
  if (second !== undefined && isNodeResponse(second)) {
    if (!isNodeRequest(first)) {
      throw new TypeError(`requestScope(req, res) needs a node:http request or a web Request as req, got ${describeValue(first)}`);
    }
    return createRequestScope(first, second, undefined, third);
  }
  if (isWebRequest(first)) {
    return createRequestScope(undefined, undefined, first, second);
  }
  if (!isNodeRequest(first)) {
    throw new TypeError(`requestScope(req, res) needs a node:http request or a web Request as req, got ${describeValue(first)}`);
  }
  throw new TypeError(`requestScope(req, res) needs the node:http response as res, got ${describeValue(second)}`);
}

/**
 * @internal Builds the scope; shared by requestScope, handleRequest and the adapters (which know their
 * request and response are Node's, or a web Request, and call it directly). `known` is the set of keys
 * `options` may have (handleRequest's adds `onCancel`, which is then ignored here), so that the options
 * are checked once and not copied to drop a key; `null` when the caller checked them already (an
 * adapter, at its creation).
 */
export function createRequestScope(
  req: NodeRequest | undefined,
  res: NodeResponse | undefined,
  request: Request | undefined,
  options: RequestScopeOptions | undefined,
  known: ReadonlySet<string> | null = requestScopeOptionKeys,
): Cancelable {
  if (known !== null) checkKnownKeys('options', options, known);
  const o = options ?? noOptions;
  const routeTimeoutMs = o.timeout === undefined ? Infinity : checkDurationOrInfinity('options.timeout', o.timeout);
  const marginMs = o.deadlineMarginMs === undefined ? 0 : checkDuration('options.deadlineMarginMs', o.deadlineMarginMs);
  const list = o.deadlineHeaders === undefined ? defaultHeaders : checkHeaderList(o.deadlineHeaders);
  if (o.onInvalidDeadline !== undefined) checkFunction('options.onInvalidDeadline', o.onInvalidDeadline);
  if (o.retryAfter !== undefined) checkDuration('options.retryAfter', o.retryAfter);
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof (o.signal as { addEventListener?: unknown }).addEventListener !== 'function')) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describeValue(o.signal)}`);
  }
  if (o.clock !== undefined && typeof (o.clock as { now?: unknown } | null)?.now !== 'function') throw new TypeError(`options.clock must be a Clock, got ${describeValue(o.clock)}`);
  const name = checkOptionalString('options.name', o.name);
  const clock = o.clock ?? getDefaultClock();
  const arrival = clock.now();

  // Most requests carry no deadline header: the array of ignored ones is only made when one is.
  let invalid: InvalidDeadline[] = noInvalid;
  let inbound: InboundDeadline | undefined;
  if (list.length > 0 && (req === undefined || hasAnyHeader(req.headers, list))) {
    invalid = [];
    inbound = readInboundDeadline(readerOf(req, request), list, invalid);
  }
  let deadline = arrival + routeTimeoutMs;
  let deadlineBy: 'route' | 'caller' | undefined = routeTimeoutMs === Infinity ? undefined : 'route';
  if (inbound !== undefined) {
    const callerDeadline = arrival + Math.max(0, inbound.budgetMs - marginMs);
    if (callerDeadline < deadline) {
      deadline = callerDeadline;
      deadlineBy = 'caller';
    }
  }
  const state = new RequestState(
    req,
    res,
    request,
    arrival,
    routeTimeoutMs,
    inbound,
    deadline,
    deadlineBy,
    invalid,
    o.retryAfter,
    o.signal,
  );
  const source = new RequestSource(state);
  state.source = source;
  const scopeOptions: CancelableOptions = {
    name: name ?? defaultName(req, request),
    parent: o.parent === undefined ? null : o.parent,
    sources: [source],
  };
  if (o.graceMs !== undefined) scopeOptions.graceMs = o.graceMs;
  if (o.metadata !== undefined) scopeOptions.metadata = o.metadata;
  if (o.register !== undefined) scopeOptions.register = o.register;
  if (o.clock !== undefined) scopeOptions.clock = o.clock;
  if (o.logger !== undefined) scopeOptions.logger = o.logger;
  const scope = new Cancelable(scopeOptions);
  state.scope = scope;
  if (invalid.length > 0) reportInvalid(scope, invalid, o.onInvalidDeadline);
  return scope;
}

/**
 * What the HTTP layer knows about a request scope (its deadline, the header family the caller spoke,
 * ignored headers, what ended it); `undefined` for a scope that is not a request scope.
 * @example
 * ```ts
 * const info = requestInfo(scope);
 * if (info?.invalidDeadlines.length) metrics.increment('bad_deadline_header');
 * ```
 */
export function requestInfo(scope: CancelScope): RequestInfo | undefined {
  const state = stateOfScope(scope);
  if (state === undefined) return undefined;
  return {
    header: state.header,
    callerBudgetMs: state.inbound?.budgetMs,
    routeTimeoutMs: state.routeTimeoutMs,
    deadline: state.deadline,
    deadlineBy: state.deadlineBy,
    invalidDeadlines: state.invalid,
    end: state.fired,
  };
}

function checkHeaderList(list: unknown): readonly DeadlineHeader[] {
  if (!Array.isArray(list)) throw new TypeError(`options.deadlineHeaders must be an array, got ${describeValue(list)}`);
  return list.map((header, index) => checkDeadlineHeader(`options.deadlineHeaders[${index}]`, header));
}

function readerOf(req: NodeRequest | undefined, request: Request | undefined): HeaderReader {
  if (req !== undefined) {
    const headers = req.headers as Record<string, string | string[] | undefined>;
    return (name) => headers[name];
  }
  const headers = request!.headers;
  return (name) => headers.get(name);
}

function defaultName(req: NodeRequest | undefined, request: Request | undefined): string {
  if (req !== undefined) return `${req.method ?? 'GET'} ${pathOf(req.url ?? '/')}`;
  let path = '/';
  try {
    path = new URL(request!.url).pathname;
  } catch {
    // a Request always has an absolute URL; keep '/' if a look-alike has not
  }
  return `${request!.method} ${pathOf(path)}`;
}

/** The path without its query (secrets live there), bounded. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

function reportInvalid(scope: CancelScope, invalid: readonly InvalidDeadline[], hook: ((invalid: InvalidDeadline) => void) | undefined): void {
  for (const entry of invalid) {
    if (hook === undefined) {
      log(scope.logger, 'warn', `cancelable-ts/http: ignored a ${entry.problem} ${entry.header} header`, {
        operationId: scope.id,
        header: entry.header,
        value: entry.value,
      });
      continue;
    }
    try {
      hook(entry);
    } catch (error) {
      reportCallbackError(scope, 'onInvalidDeadline', error);
    }
  }
}
