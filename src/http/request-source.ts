/**
 * The source behind a request scope: the client disconnect (SPEC §10's rules), the route timeout and
 * the caller's deadline, and the shutdown of the server. One instance per request.
 *
 * Disconnect rules (design/edges.md): cancel when the response closes while `!res.writableEnded`, or
 * when the request closes before its body completed (`!req.complete`) and the response has not ended;
 * never because the body was read. Every listener is removed when the response closes or the scope
 * ends, whichever comes first.
 */
import {
  clearLongTimeout,
  type CancelScope,
  kFire,
  MultiSource,
  setLongTimeout,
  singleton,
  type CancelationError,
  type CancelationInit,
  type SourceTarget,
  type TimerHandle,
} from '../core/index.js';
import type { DeadlineHeader, InboundDeadline, InvalidDeadline } from './headers.js';
import type { NodeRequest, NodeResponse } from './types.js';

/** What ended a request scope, as far as the HTTP layer knows. */
export type RequestEnd = 'disconnect' | 'route-timeout' | 'deadline' | 'shutdown';

/** @internal Per-request state, kept while the request scope exists. */
export class RequestState {
  /** What our source fired with (undefined while it has not fired). */
  fired: RequestEnd | undefined = undefined;
  /** The scope, set by requestScope. */
  scope!: CancelScope;
  /** The source, set by requestScope. */
  source!: RequestSource;
  /** Whether the scope is started and not ended. */
  live = false;
  /** Waiters for the end of the scope (shutdown). */
  ended: (() => void)[] | undefined = undefined;

  constructor(
    /** The Node request, or undefined for a web Request. */
    readonly req: NodeRequest | undefined,
    readonly res: NodeResponse | undefined,
    readonly request: Request | undefined,
    /** Arrival time on the scope's clock (epoch ms). */
    readonly arrival: number,
    /** The route timeout, ms (Infinity when none). */
    readonly routeTimeoutMs: number,
    /** The caller's budget, as read from its header. */
    readonly inbound: InboundDeadline | undefined,
    /** The local deadline (epoch ms on the scope's clock), Infinity when none. */
    readonly deadline: number,
    /** Which of the two set the deadline. */
    readonly deadlineBy: 'route' | 'caller' | undefined,
    /** Headers that were present but not trusted. */
    readonly invalid: readonly InvalidDeadline[],
    /** Seconds for `Retry-After` on a route timeout (undefined: none). */
    readonly retryAfter: number | undefined,
    /** The runtime's own signal for this request (Fastify's `request.signal`...), if given. */
    readonly signal: AbortSignal | undefined,
  ) {}

  /** The family the caller spoke, for answering in kind downstream. */
  get header(): DeadlineHeader | undefined {
    return this.inbound?.header;
  }
}

/** @internal Live request states (started, not ended), process-wide: graceful shutdown cancels them. */
export const liveRequests: Set<RequestState> = singleton('http.liveRequests', () => new Set<RequestState>());

/**
 * @internal The state of a request scope, found through its source (no side table: a WeakMap entry per
 * request is an ephemeron the garbage collector pays for on every scavenge).
 */
export function stateOfScope(scope: CancelScope): RequestState | undefined {
  const sources = scope.sources;
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    if (source instanceof RequestSource) return source.state;
  }
  return undefined;
}

/** @internal What each error fired by a request source stands for (statusFor reads it). */
export const endOfError: WeakMap<object, { end: RequestEnd; state: RequestState }> = singleton(
  'http.endOfError',
  () => new WeakMap<object, { end: RequestEnd; state: RequestState }>(),
);

interface Activation {
  target: SourceTarget;
  timer: TimerHandle;
  off: (() => void) | undefined;
}

/** @internal The per-request source. */
export class RequestSource extends MultiSource {
  #activation: Activation | undefined;

  constructor(readonly state: RequestState) {
    super({ reason: 'disconnect', name: 'http-request' });
  }

  protected activate(target: SourceTarget): Activation {
    const state = this.state;
    const activation: Activation = { target, timer: undefined, off: undefined };
    this.#activation = activation;
    state.live = true;
    liveRequests.add(state);
    if (state.req !== undefined && state.res !== undefined) activation.off = this.#watchNode(state.req, state.res);
    else if (state.request !== undefined) activation.off = this.#watchSignal(state.request.signal);
    if (state.signal !== undefined && state.fired === undefined) {
      const offNode = activation.off;
      const offSignal = this.#watchSignal(state.signal);
      activation.off = () => {
        offNode?.();
        offSignal?.();
      };
    }
    if (state.deadline !== Infinity && state.fired === undefined) {
      const delay = Math.max(0, state.deadline - target.clock.now());
      activation.timer = setLongTimeout(target.clock, fireDeadline, delay, this);
    }
    return activation;
  }

  protected deactivate(state: unknown): void {
    const activation = state as Activation;
    if (this.#activation === activation) this.#activation = undefined;
    activation.off?.();
    activation.off = undefined;
    if (activation.timer !== undefined) clearLongTimeout(activation.target.clock, activation.timer);
    activation.timer = undefined;
    const request = this.state;
    request.live = false;
    liveRequests.delete(request);
    const waiters = request.ended;
    request.ended = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  #watchNode(req: NodeRequest, res: NodeResponse): (() => void) | undefined {
    if (res.writableEnded) return undefined;
    // Already gone before the scope started (the handler awaited something first).
    if (res.destroyed || (req.destroyed && !req.complete)) {
      this.fire('disconnect');
      return undefined;
    }
    const onResponseClose = (): void => {
      off();
      if (!res.writableEnded) this.fire('disconnect');
    };
    const onRequestClose = (): void => {
      if (!req.complete && !res.writableEnded) {
        off();
        this.fire('disconnect');
      }
    };
    const off = (): void => {
      res.removeListener('close', onResponseClose);
      req.removeListener('close', onRequestClose);
    };
    res.on('close', onResponseClose);
    req.on('close', onRequestClose);
    return off;
  }

  /** A signal that aborts when the client leaves; one aborted with a `TimeoutError` is a route timeout. */
  #watchSignal(signal: AbortSignal): (() => void) | undefined {
    const endOf = (): RequestEnd => ((signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' ? 'route-timeout' : 'disconnect');
    if (signal.aborted) {
      this.fire(endOf());
      return undefined;
    }
    const onAbort = (): void => {
      this.fire(endOf());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  /** Fires the scope with `end` (first one wins; nothing once the scope is cancelled or ended). */
  fire(end: RequestEnd, signal?: string): boolean {
    const activation = this.#activation;
    const state = this.state;
    if (activation === undefined || state.fired !== undefined) return false;
    const scope = state.scope;
    if (scope.isCancelled) return false;
    state.fired = end;
    activation.target[kFire](initFor(state, end, activation.target.clock.now(), signal), this);
    const error: CancelationError | undefined = scope.cancelError;
    if (error !== undefined) endOfError.set(error, { end, state });
    return true;
  }
}

function fireDeadline(source: RequestSource): void {
  const state = source.state;
  source.fire(state.deadlineBy === 'caller' ? 'deadline' : 'route-timeout');
}

function initFor(state: RequestState, end: RequestEnd, now: number, signal: string | undefined): CancelationInit {
  switch (end) {
    case 'route-timeout':
      return state.routeTimeoutMs === Infinity
        ? { reason: 'timeout', message: 'Route timeout exceeded', timeoutMs: Math.max(0, now - state.arrival) }
        : { reason: 'timeout', message: `Route timeout of ${state.routeTimeoutMs}ms exceeded`, timeoutMs: state.routeTimeoutMs };
    case 'deadline':
      return {
        reason: 'timeout',
        message: `The caller's deadline (${state.inbound!.header}: ${state.inbound!.budgetMs}ms) expired`,
        timeoutMs: Math.max(0, state.deadline - state.arrival),
      };
    case 'shutdown':
      return { reason: 'signal', message: `Server shutting down${signal === undefined ? '' : ` (${signal})`}`, signal };
    default:
      return { reason: 'disconnect', message: `The client disconnected after ${Math.max(0, now - state.arrival)}ms` };
  }
}
