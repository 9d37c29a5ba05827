/**
 * The source behind a request scope: the client disconnect (SPEC §10's rules), the route timeout and
 * the caller's deadline, and the shutdown of the server. One instance per request.
 *
 * Disconnect rules (design/edges.md): cancel when the response closes while `!res.writableEnded`, or
 * when the request closes before its body completed (`!req.complete`) and the response has not ended;
 * never because the body was read. Every per-request listener is removed when the response closes or
 * the scope ends, whichever comes first.
 *
 * On an HTTP/1.x connection of a `node:http(s)` server, both rules come down to the socket closing
 * while the response has not ended (a response or a request destroyed before its end destroys the
 * socket; a client that leaves closes it). So the live request scopes of one connection share one
 * `'close'` listener on the socket, added with the first and removed with the last, instead of two
 * listeners on the request and the response: adding and removing those (and the shape changes of
 * their `_events` that it causes) was the largest request-specific cost of a request scope. This also
 * covers a response queued behind pipelined ones (it has no socket yet, so it never sees one close).
 * The listener goes when the scope ends: with `handleRequest` and the adapters, right after the
 * response; a handler that keeps its scope running after `res.end()` keeps it (one per connection)
 * until then. HTTP/2 streams and look-alike requests keep the per-request listeners.
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
  /** The neighbours in {@link liveRequests} while live. */
  prevLive: RequestState | undefined = undefined;
  nextLive: RequestState | undefined = undefined;

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

/**
 * @internal The live request states (started, not ended), process-wide: graceful shutdown cancels them.
 * A doubly linked list through the states rather than a `Set`: entering and leaving it is two pointer
 * writes per request, no hashing and no table to grow, shrink or rehash.
 */
export class LiveRequests {
  #head: RequestState | undefined = undefined;
  #size = 0;

  /** How many request scopes are live. */
  get size(): number {
    return this.#size;
  }

  /** Adds a state that is not in the list. */
  add(state: RequestState): void {
    const head = this.#head;
    state.nextLive = head;
    state.prevLive = undefined;
    if (head !== undefined) head.prevLive = state;
    this.#head = state;
    this.#size++;
  }

  /** Removes a state that is in the list. */
  delete(state: RequestState): void {
    const { prevLive, nextLive } = state;
    if (prevLive === undefined) this.#head = nextLive;
    else prevLive.nextLive = nextLive;
    if (nextLive !== undefined) nextLive.prevLive = prevLive;
    state.prevLive = state.nextLive = undefined;
    this.#size--;
  }

  *[Symbol.iterator](): IterableIterator<RequestState> {
    for (let state = this.#head; state !== undefined; state = state.nextLive) yield state;
  }
}

/** @internal Live request states (started, not ended), process-wide (every copy of the library). */
export const liveRequests: LiveRequests = singleton('http.liveRequests.list', () => new LiveRequests());

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
  /** The connection watched for this request (HTTP/1.x), with this activation in its list. */
  connection: ConnectionWatch | undefined;
  prev: Activation | undefined;
  next: Activation | undefined;
  source: RequestSource;
}

/** @internal The per-request source. */
export class RequestSource extends MultiSource {
  #activation: Activation | undefined;

  constructor(readonly state: RequestState) {
    super({ reason: 'disconnect', name: 'http-request' });
  }

  protected activate(target: SourceTarget): Activation {
    const state = this.state;
    const activation: Activation = { target, timer: undefined, off: undefined, connection: undefined, prev: undefined, next: undefined, source: this };
    this.#activation = activation;
    if (!state.live) {
      state.live = true;
      liveRequests.add(state);
    }
    if (state.req !== undefined && state.res !== undefined) this.#watchNode(state.req, state.res, activation);
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
    if (activation.connection !== undefined) activation.connection.remove(activation);
    activation.off?.();
    activation.off = undefined;
    if (activation.timer !== undefined) clearLongTimeout(activation.target.clock, activation.timer);
    activation.timer = undefined;
    const request = this.state;
    if (request.live) {
      request.live = false;
      liveRequests.delete(request);
    }
    const waiters = request.ended;
    request.ended = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  #watchNode(req: NodeRequest, res: NodeResponse, activation: Activation): void {
    if (res.writableEnded) return;
    const socket = http1Socket(req, res);
    if (socket !== undefined) {
      // A destroyed response, or a request destroyed before its body completed, destroys the socket:
      // gone before the scope started (the handler awaited something first), or closing, when its
      // 'close' may already have been emitted.
      if (socket.destroyed) this.fire('disconnect');
      else ConnectionWatch.of(socket).add(activation);
      return;
    }
    // Already gone before the scope started (the handler awaited something first).
    if (res.destroyed || (req.destroyed && !req.complete)) {
      this.fire('disconnect');
      return;
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
    activation.off = off;
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

/** The socket of a `node:http(s)` HTTP/1.x request whose response is on it, or undefined. */
interface Http1Socket {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * @internal The connection's socket when `req`/`res` are an HTTP/1.x exchange of a `node:http(s)`
 * server, undefined otherwise (HTTP/2, whose `req.socket` is the session's; a test double): those are
 * watched per request. A response queued behind pipelined ones has no socket yet: it will get this one.
 */
function http1Socket(req: NodeRequest, res: NodeResponse): Http1Socket | undefined {
  if (req.httpVersionMajor !== 1) return undefined;
  const socket = req.socket as unknown as (Http1Socket & { server?: unknown }) | null | undefined;
  // A server's own socket has `server`; look-alikes (light-my-request's) do not, and their responses
  // emit 'close' without a socket closing.
  if (socket === null || socket === undefined || socket.server === undefined) return undefined;
  const resSocket = res.socket as unknown;
  if (resSocket !== null && resSocket !== undefined && resSocket !== socket) return undefined;
  return socket;
}

/** Connections watched, by socket (an entry goes with its socket). */
const connections = new WeakMap<object, ConnectionWatch>();

/**
 * @internal One `'close'` listener per HTTP/1.x connection, shared by the live request scopes on it
 * (one at a time, more with pipelining): when the socket closes, each whose response has not ended is
 * cancelled with reason `disconnect`. The listener is added with the first live request scope of the
 * connection and removed with the last (SPEC §10: no listener outlives the response), so an idle
 * keep-alive connection carries none.
 */
class ConnectionWatch {
  head: Activation | undefined = undefined;
  #closing = false;
  readonly #socket: Http1Socket;
  readonly #onClose = (): void => {
    connections.delete(this.#socket);
    this.closed();
  };

  constructor(socket: Http1Socket) {
    this.#socket = socket;
  }

  static of(socket: Http1Socket): ConnectionWatch {
    let watch = connections.get(socket);
    if (watch === undefined) {
      watch = new ConnectionWatch(socket);
      connections.set(socket, watch);
      socket.once('close', watch.#onClose);
    }
    return watch;
  }

  add(activation: Activation): void {
    activation.connection = this;
    const head = this.head;
    activation.next = head;
    if (head !== undefined) head.prev = activation;
    this.head = activation;
  }

  remove(activation: Activation): void {
    const { prev, next } = activation;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next !== undefined) next.prev = prev;
    activation.prev = activation.next = activation.connection = undefined;
    if (this.head === undefined && !this.#closing) {
      // The last live request of the connection ended: nothing of ours stays on the socket.
      connections.delete(this.#socket);
      this.#socket.off('close', this.#onClose);
    }
  }

  closed(): void {
    this.#closing = true;
    for (let activation = this.head; activation !== undefined; activation = this.head) {
      this.remove(activation);
      const res = activation.source.state.res!;
      if (!res.writableEnded) activation.source.fire('disconnect');
    }
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
