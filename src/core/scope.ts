import { getDefaultClock, isClock, type Clock, type TimerHandle } from './clock.js';
import { nextId } from './ids.js';
import type { OperationContext, ProgressReport } from './context.js';
import { channels, log, reportCallbackError, reportSourceError, runTracing, type Logger } from './diagnostics.js';
import {
  causeChainIncludes,
  createCancelationError,
  isCancelationError,
  ParentCancelation,
  type CancelationError,
  type CancelationInit,
} from './errors.js';
import { OperationStatus, type CancelationReason } from './reasons.js';
import { defaultRegistry, type ScopeObserver } from './registry-hooks.js';
import { runtime } from './runtime.js';
import { CancelationSource, kActivate, kDeactivate, kFire, type SourceTarget } from './source.js';
import { CancelationToken, parseCancelArgument, type CancelArgument } from './token.js';
import {
  checkDuration,
  checkDurationOrInfinity,
  checkFunction,
  checkOptions,
  checkOptionalString,
  describeValue,
} from './validate.js';
import { AbortSignalSource, isAbortSignal } from '../sources/abort-signal.js';
import { DeadlineSource } from '../sources/deadline.js';
import { TimeoutSource } from '../sources/timeout.js';
import { conditionScopeParts, type ConditionPredicate } from '../sources/condition.js';
import { signalScopeParts, type WithSignalArgs } from '../sources/signal.js';
import { MAX_TIMER_DELAY } from '../sources/timer.js';
import { cancelableStream, type CancelableStreamOptions, type StreamSource } from '../streams/cancelable-stream.js';
import type { CancelableAsyncIterator } from '../streams/iterator.js';
import { runInWorker, type RunInWorkerOptions } from '../threads/run-in-worker.js';
import { forkInScope, type ForkOptions, type ForkPromise } from '../processes/fork.js';
import { parentProcessLink, type FromParentProcessOptions } from '../processes/from-parent.js';
import { spawnInScope, type ScopedSpawnOptions, type SpawnPromise } from '../processes/spawn.js';
import { TokenSource } from '../sources/token.js';

/**
 * How long `run()` waits, after a cancellation, for a body that ignores it before rejecting anyway
 * (unless a shield is in progress). 100 ms: long enough for cooperative cleanup in `finally` blocks,
 * short enough that a timeout "really fires". Cleanup that needs longer belongs in `shield()`.
 */
export const DEFAULT_GRACE_MS = 100;

/** Options of {@link Cancelable}; every factory takes them as its trailing argument. */
export interface CancelableOptions {
  /** A name for reports, the registry and the CLI. Default `'operation'`. */
  name?: string;
  /** A unique id. Default: a random UUID (created on first read). */
  id?: string;
  /**
   * The parent scope. Default: the innermost running scope of the current async context
   * ({@link Cancelable.current}); `null` detaches the scope.
   */
  parent?: Cancelable | null;
  /** What can cancel the scope. */
  sources?: CancelationSource[];
  /** Free-form data kept on the context. */
  metadata?: Record<string, unknown>;
  /** Register with the default registry (`true`) or a given one while running. */
  register?: boolean | ScopeObserver;
  /** See {@link DEFAULT_GRACE_MS}. `Infinity` waits for the body however long it takes. */
  graceMs?: number;
  /** The clock for timers (tests). Default: {@link getDefaultClock}. */
  clock?: Clock;
  /** A logger for this scope's reports. Default: the global one ({@link setLogger}). */
  logger?: Logger;
}

/** Called with each progress report. */
export type ProgressCallback = (
  operationId: string,
  message: string,
  metadata: Record<string, unknown> | undefined,
) => void | Promise<void>;
/** Called at start, completion or cancellation with a snapshot of the context. */
export type ContextCallback = (context: OperationContext) => void | Promise<void>;
/** Called when the run fails, with the snapshot and the error. */
export type ErrorCallback = (context: OperationContext, error: unknown) => void | Promise<void>;

/** Options of {@link Cancelable.shield}. */
export interface ShieldOptions {
  /** The shield's own timeout (it still applies inside the shield). */
  timeout?: number;
  /** A name for the shield's scope. Default `<scope name>:shield`. */
  name?: string;
}

interface Callbacks {
  progress?: ProgressCallback[];
  start?: ContextCallback[];
  complete?: ContextCallback[];
  cancel?: ContextCallback[];
  error?: ErrorCallback[];
}

// Where a run is in its lifecycle. Status (public) changes only at start and at the very end.
const PENDING = 0;
const STARTING = 1; // async onStart callbacks running
const BODY = 2; // run(): the body is running
const ENTERED = 3; // enter(): the block is running
const SETTLING = 4; // outcome decided; waiting for shields, children and callbacks
const DONE = 5;

// Outcome of the body, recorded when it settles.
const OUTCOME_NONE = 0;
const OUTCOME_VALUE = 1;
const OUTCOME_ERROR = 2;
const OUTCOME_ABANDONED = 3; // grace expired: the body is no longer waited for

// Captures a promise's resolvers without allocating a closure per run.
let capturedResolve: (value: unknown) => void = noop;
let capturedReject: (error: unknown) => void = noop;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}
function noop(): void {}

/** Marks sources that are not (or no longer) activated. */
const INACTIVE: unique symbol = Symbol('inactive');

/** Ends one source activation; a failure is reported, never thrown. */
function deactivate(scope: Cancelable, source: CancelationSource, state: unknown): void {
  try {
    source[kDeactivate](state);
  } catch (error) {
    reportSourceError(scope, source, 'stop', error);
  }
}

// Ending a deep chain of scopes (a parent waiting for its child, waiting for its own child...) would
// nest one #complete per level: end notifications run from one queue instead (no recursion limit).
let endQueue: (() => void)[] | undefined;
function notifyEnd(callback: () => void): void {
  if (endQueue !== undefined) {
    endQueue.push(callback);
    return;
  }
  const queue = (endQueue = [callback]);
  try {
    for (let i = 0; i < queue.length; i++) (queue[i] as () => void)();
  } finally {
    endQueue = undefined;
  }
}

type Waiter = (error: CancelationError) => void;

/** Anything {@link Cancelable.combine} accepts. */
export type CombineItem = Cancelable | CancelationSource | CancelationToken | AbortSignal;

/**
 * A cancel scope: runs a body, and cancels it when one of its sources fires (a timeout, a token, an OS
 * signal, a condition...), when `cancel()` is called, or when its parent is cancelled.
 *
 * JavaScript cannot interrupt an `await`, so cancellation reaches the body through the awaits the
 * scope hands out — {@link Cancelable.sleep}, {@link Cancelable.race}, streams, and
 * {@link Cancelable.signal} for fetch, timers and streams — which reject at once, and `run()` never
 * waits on a body that ignores cancellation for longer than {@link CancelableOptions.graceMs}.
 *
 * @example
 * ```ts
 * const data = await Cancelable.withTimeout(2_000, { name: 'fetch' }).run(async (scope) => {
 *   const response = await fetch(url, { signal: scope.signal });
 *   return response.json();
 * });
 * ```
 */
export class Cancelable implements SourceTarget {
  /** The scope's name. */
  readonly name: string;
  /** What the operation produced so far (streams keep `{ count, buffer, completed }` here). */
  partialResult: unknown = null;
  /** See {@link CancelableOptions.graceMs}. */
  readonly graceMs: number;
  /** The clock the scope's timers run on. */
  readonly clock: Clock;
  /** The scope's logger, if one was given. */
  readonly logger: Logger | undefined;

  #id: string | undefined;
  #metadata: Record<string, unknown> | undefined;
  #status: OperationStatus = OperationStatus.Pending;
  #phase = PENDING;
  #parentOption: Cancelable | null | undefined;
  #parent: Cancelable | undefined;
  #sources: CancelationSource[] | undefined;
  /** INACTIVE, the one source's state (one source: no array on the hot path), or the states of the first N sources. */
  #sourceStates: unknown = INACTIVE;
  #register: boolean | ScopeObserver;
  #registries: ScopeObserver[] | undefined;
  #children: Set<Cancelable> | undefined;
  #waiters: Set<Waiter> | undefined;
  #controller: AbortController | undefined;
  #signal: AbortSignal | undefined;
  #token: CancelationToken | undefined;
  #tokenOff: (() => void) | undefined;
  #foreignOff: (() => void) | undefined;
  #cancelError: CancelationError | undefined;
  #failure: unknown;
  #startTime = 0;
  #endTime = 0;
  #progress: ProgressReport | undefined;
  #callbacks: Callbacks | undefined;
  #shields = 0;
  #shieldsIdle: (() => void)[] | undefined;
  #graceTimer: TimerHandle;
  #graceExpired = false;
  #outcome = OUTCOME_NONE;
  // Whether the scope was cancelled when the body settled: a failure stays a failure even if a
  // cancellation arrives while shields hold the scope open.
  #outcomeCancelled = false;
  #value: unknown;
  #resolve: (value: unknown) => void = noop;
  #reject: (error: unknown) => void = noop;
  #endWaiters: (() => void)[] | undefined;
  #frame: EnteredFrame | undefined;

  constructor(options?: CancelableOptions) {
    checkOptions('options', options);
    const name = checkOptionalString('options.name', options?.name);
    const id = checkOptionalString('options.id', options?.id);
    if (id === '') throw new RangeError('options.id must not be empty');
    const parent = options?.parent;
    if (parent !== undefined && parent !== null && !(parent instanceof Cancelable)) {
      throw new TypeError(`options.parent must be a Cancelable or null, got ${describeValue(parent)}`);
    }
    const sources = options?.sources;
    if (sources !== undefined) {
      if (!Array.isArray(sources)) {
        throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(sources)}`);
      }
      for (let i = 0; i < sources.length; i++) checkSource(`options.sources[${i}]`, sources[i]);
    }
    const metadata = options?.metadata;
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
      throw new TypeError(`options.metadata must be an object, got ${describeValue(metadata)}`);
    }
    const register = options?.register === undefined ? false : options.register;
    if (typeof register !== 'boolean' && !isObserver(register)) {
      throw new TypeError(`options.register must be a boolean or an OperationRegistry, got ${describeValue(register)}`);
    }
    const clock = options?.clock;
    if (clock !== undefined && !isClock(clock)) {
      throw new TypeError(`options.clock must be a Clock (now, setTimeout, clearTimeout), got ${describeValue(clock)}`);
    }
    const logger = options?.logger;
    if (logger !== undefined && (logger === null || typeof logger !== 'object')) {
      throw new TypeError(`options.logger must be an object with debug/info/warn/error methods, got ${describeValue(logger)}`);
    }
    this.name = name ?? 'operation';
    this.#id = id;
    this.#parentOption = parent;
    this.#sources = sources !== undefined && sources.length > 0 ? sources.slice() : undefined;
    this.#metadata = metadata;
    this.#register = register;
    this.graceMs =
      options?.graceMs === undefined ? DEFAULT_GRACE_MS : checkDurationOrInfinity('options.graceMs', options.graceMs);
    this.clock = clock ?? getDefaultClock();
    this.logger = options?.logger;
  }

  // ---------------------------------------------------------------- factories

  /**
   * A scope cancelled `ms` milliseconds after it starts, with a `TimeoutCancelation`.
   * @example
   * ```ts
   * await Cancelable.withTimeout(2_000).run((scope) => scope.sleep(5_000)); // rejects after 2 s
   * ```
   */
  static withTimeout(ms: number, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new TimeoutSource(checkDuration('ms', ms))));
  }

  /** A scope cancelled at an absolute time (a `Date` or epoch milliseconds). */
  static withDeadline(deadline: Date | number, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new DeadlineSource(deadline)));
  }

  /** A scope cancelled when `token` is cancelled, with the token's reason and message. */
  static withToken(token: CancelationToken, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new TokenSource(token)));
  }

  /**
   * A scope cancelled when the process receives one of `signals` (default `SIGINT` and `SIGTERM`);
   * a trailing options object may follow the signal names.
   * @example
   * ```ts
   * await Cancelable.withSignal('SIGINT', 'SIGTERM', { name: 'server' }).run(serve);
   * ```
   */
  static withSignal(...args: WithSignalArgs): Cancelable {
    const { source, options } = signalScopeParts(args);
    return new Cancelable(withSource(options, source));
  }

  /**
   * A scope cancelled when `predicate()` (sync or async) returns true, checked every `intervalMs`
   * (first check at start).
   * @example
   * ```ts
   * await Cancelable.withCondition(() => diskFull(), 5_000, { name: 'copy' }).run(copyFiles);
   * ```
   */
  static withCondition(
    predicate: ConditionPredicate,
    intervalMs = 100,
    options?: CancelableOptions & { conditionName?: string },
  ): Cancelable {
    const parts = conditionScopeParts(predicate, intervalMs, options);
    return new Cancelable(withSource(parts.options, parts.source));
  }

  /**
   * The scope of a process started with `scope.fork()`: cancelled with the parent's reason and message
   * when the parent's scope is cancelled, or when the parent process dies; its `run()` value is sent
   * back as the fork's result.
   * @example
   * ```ts
   * // child.ts
   * await Cancelable.fromParentProcess().run(async (scope) => crunch(scope));
   * ```
   */
  static fromParentProcess(options?: CancelableOptions & FromParentProcessOptions): Cancelable {
    const link = parentProcessLink(options);
    const scope = new Cancelable(withSource(link.options, link.source));
    link.attach(scope);
    return scope;
  }

  /** A scope cancelled when a foreign AbortSignal aborts (see `AbortSignalSource`). */
  static withAbortSignal(signal: AbortSignal, options?: CancelableOptions): Cancelable {
    return new Cancelable(withSource(options, new AbortSignalSource(signal)));
  }

  /**
   * A scope holding every source of `items` (scopes, sources, tokens, AbortSignals): the first to
   * fire cancels it, with its own reason and message; with several timeouts the earliest wins.
   * @example
   * ```ts
   * const scope = Cancelable.combine([new TimeoutSource(600_000), token, AbortSignal.timeout(5_000)]);
   * ```
   */
  static combine(items: readonly CombineItem[], options?: CancelableOptions): Cancelable {
    if (!Array.isArray(items)) throw new TypeError(`items must be an array, got ${describeValue(items)}`);
    checkOptions('options', options);
    const given = options?.sources;
    if (given !== undefined && !Array.isArray(given)) {
      throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(given)}`);
    }
    const sources: CancelationSource[] = given?.slice() ?? [];
    Array.from(items).forEach((item, index) => { // Array.from: a hole is a bad (undefined) item, not skipped
      if (item instanceof Cancelable) {
        if (item.#sources !== undefined) sources.push(...item.#sources);
        // Its token too, even if not read yet: cancelling `item.token` later must cancel the union.
        sources.push(new TokenSource(item.token));
      } else if (item instanceof CancelationSource) sources.push(item);
      else if (item instanceof CancelationToken) sources.push(new TokenSource(item));
      else if (isAbortSignal(item)) sources.push(new AbortSignalSource(item));
      else {
        throw new TypeError(
          `items[${index}] must be a Cancelable, CancelationSource, CancelationToken or AbortSignal, got ${describeValue(item)}`,
        );
      }
    });
    return new Cancelable({ name: 'combined', ...options, sources });
  }

  /** A new scope holding this scope's sources and token and those of `others` (see the static form). */
  combine(...others: CombineItem[]): Cancelable {
    return Cancelable.combine([this, ...others], { name: this.name });
  }

  /**
   * The innermost running scope of the current async context, or `undefined`.
   * @example
   * ```ts
   * async function step() { Cancelable.current()?.throwIfCancelled(); }
   * ```
   */
  static current(): Cancelable | undefined {
    let store = runtime.storage.getStore();
    // enter() reaches the caller's context too (enterWith): an ended frame stands for the store before it.
    while (isEnteredFrame(store)) store = store.scope ?? store.previous;
    let scope = store as Cancelable | undefined;
    // A scope that ended while still held in a context (e.g. by a pending timer): skip to a running one.
    // Public getters only: the store is shared with other copies of the library (see runtime.ts).
    while (scope !== undefined && !scope.isRunning) scope = scope.parent;
    return scope;
  }

  // ---------------------------------------------------------------- identity and state

  /** Free-form data, kept on the context (created on first read unless given). */
  get metadata(): Record<string, unknown> {
    return (this.#metadata ??= {});
  }

  set metadata(value: Record<string, unknown>) {
    if (value === null || typeof value !== 'object') {
      throw new TypeError(`metadata must be an object, got ${describeValue(value)}`);
    }
    this.#metadata = value;
  }

  /** The scope's id (a random UUID unless given). */
  get id(): string {
    return (this.#id ??= nextId());
  }

  /** `pending`, `running`, then one of `completed`, `cancelled`, `failed`. */
  get status(): OperationStatus {
    return this.#status;
  }

  /** The parent scope, once started. */
  get parent(): Cancelable | undefined {
    return this.#parent;
  }

  /** Whether a cancellation has been requested (from any source). */
  get isCancelled(): boolean {
    return this.#cancelError !== undefined;
  }

  /** The cancellation error, once cancelled (the same object as `signal.reason` and `run()`'s rejection). */
  get cancelError(): CancelationError | undefined {
    return this.#cancelError;
  }

  /** Whether the scope is running (started and not yet ended). */
  get isRunning(): boolean {
    return this.#status === OperationStatus.Running;
  }

  /** The sources the scope listens to. */
  get sources(): readonly CancelationSource[] {
    return this.#sources ?? [];
  }

  /**
   * An AbortSignal aborted with the scope's cancellation error. Hand it to fetch, timers, streams and
   * child processes. Created on first read (creating one costs microseconds).
   */
  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      if (this.#cancelError !== undefined) this.#signal = AbortSignal.abort(this.#cancelError);
      else {
        this.#controller = new AbortController();
        this.#signal = this.#controller.signal;
      }
    }
    return this.#signal;
  }

  /**
   * The scope's own token: cancelling it cancels the scope. (The scope never cancels tokens, its own
   * included: cancellation flows from tokens to scopes only.)
   */
  get token(): CancelationToken {
    if (this.#token === undefined) {
      this.#token = new CancelationToken();
      if (this.#status === OperationStatus.Running) this.#listenToToken();
    }
    return this.#token;
  }

  /** A JSON-serialisable snapshot of the scope. */
  get context(): OperationContext {
    const cancel = this.#cancelError;
    const started = this.#phase !== PENDING;
    const ended = this.#phase === DONE;
    const failure = this.#failure;
    return {
      id: this.id,
      name: this.name,
      parentId: this.#parent?.id ?? null,
      status: this.#status,
      startTime: started ? this.#startTime : null,
      endTime: ended ? this.#endTime : null,
      durationMs: started ? (ended ? this.#endTime : this.clock.now()) - this.#startTime : null,
      cancelReason: cancel?.reason ?? null,
      cancelMessage: cancel?.message ?? null,
      error: this.#status === OperationStatus.Failed ? failureMessage(failure) : null,
      progress: this.#progress ?? null,
      partialResult: this.partialResult,
      metadata: this.metadata,
    };
  }

  // ---------------------------------------------------------------- configuration

  /** Adds a source; only before the scope starts. Returns the scope. */
  addSource(source: CancelationSource): this {
    checkSource('source', source);
    if (this.#phase !== PENDING) {
      throw new TypeError(`addSource() must be called before the scope starts; '${this.name}' is ${this.#status}`);
    }
    (this.#sources ??= []).push(source);
    return this;
  }

  /** Runs `callback(operationId, message, metadata)` on each progress report. Chainable. */
  onProgress(callback: ProgressCallback): this {
    this.#addCallback('progress', callback);
    return this;
  }

  /** Runs `callback(context)` when the scope starts, before the body (async callbacks are awaited). */
  onStart(callback: ContextCallback): this {
    this.#addCallback('start', callback);
    return this;
  }

  /** Runs `callback(context)` when the scope completes, before `run()` settles. */
  onComplete(callback: ContextCallback): this {
    this.#addCallback('complete', callback);
    return this;
  }

  /** Runs `callback(context)` when the scope ends cancelled, before `run()` settles. */
  onCancel(callback: ContextCallback): this {
    this.#addCallback('cancel', callback);
    return this;
  }

  /** Runs `callback(context, error)` when the scope fails, before `run()` settles. */
  onError(callback: ErrorCallback): this {
    this.#addCallback('error', callback);
    return this;
  }

  #addCallback(kind: keyof Callbacks, callback: unknown): void {
    checkFunction('callback', callback);
    const callbacks = (this.#callbacks ??= {});
    ((callbacks[kind] ??= []) as unknown[]).push(callback);
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs `body(scope)` in the scope and settles with its outcome (SPEC §3): the body's value; the
   * scope's cancellation error if it was cancelled (at most `graceMs` after the cancellation, shields
   * aside); or the body's own error. A scope runs once.
   */
  run<T>(body: (scope: this) => T | PromiseLike<T>): Promise<T> {
    checkFunction('body', body);
    this.#checkStartable('run');
    if (runTracing.hasSubscribers) {
      // An APM's bindStore(start) makes its context current for the whole run, the body included.
      return runTracing.tracePromise(this.#start, { scope: this }, this, body) as Promise<T>;
    }
    return this.#start(body) as Promise<T>;
  }

  #start(body: (scope: this) => unknown): Promise<unknown> {
    const promise = new Promise(capture);
    this.#resolve = capturedResolve;
    this.#reject = capturedReject;
    // Don't let the module keep the last run's promise (and through it, its scope) alive.
    capturedResolve = capturedReject = noop;
    const startError = this.#begin();
    if (startError !== undefined) {
      this.#recordOutcome(OUTCOME_ERROR, startError.error);
    } else if (this.#callbacks?.start !== undefined) {
      this.#phase = STARTING;
      void this.#runCallbacks('start', undefined).then(() => this.#invoke(body));
    } else {
      this.#invoke(body);
    }
    return promise;
  }

  /**
   * Starts the scope for a block that cannot be a callback; end it with `await using` (or
   * `await scope[Symbol.asyncDispose]()`). The scope becomes {@link Cancelable.current} for the rest of
   * the enclosing function. Disposal cannot see errors thrown in the block, so it ends the scope
   * `cancelled` if it was cancelled and `completed` otherwise, and never throws. Async `onStart`
   * callbacks are not awaited here.
   * @example
   * ```ts
   * await using scope = Cancelable.withTimeout(1_000).enter();
   * await scope.sleep(5_000); // rejects after 1 s
   * ```
   */
  enter(): this {
    this.#checkStartable('enter');
    const startError = this.#begin();
    if (startError !== undefined) {
      this.#phase = SETTLING;
      this.#outcome = OUTCOME_ERROR;
      this.#value = startError.error;
      this.#finish();
      throw startError.error;
    }
    this.#phase = ENTERED;
    if (this.#callbacks?.start !== undefined) void this.#runCallbacks('start', undefined);
    const frame = (this.#frame = new EnteredFrame(this, runtime.storage.getStore()));
    runtime.storage.enterWith(frame);
    return this;
  }

  /** Ends a scope started with {@link Cancelable.enter}. Never throws. */
  async [Symbol.asyncDispose](): Promise<void> {
    // Synchronously, before any await: the code after `await using` continues in this context.
    const frame = this.#frame;
    if (frame !== undefined) {
      this.#frame = undefined;
      frame.scope = undefined;
      if (runtime.storage.getStore() === frame) runtime.storage.enterWith(frame.previous as object);
    }
    if (this.#phase !== ENTERED) {
      if (this.#phase === SETTLING || this.#phase === DONE) await new Promise<void>((resolve) => this.#onEnd(resolve));
      return;
    }
    this.#phase = SETTLING;
    const done = new Promise<void>((resolve) => {
      this.#resolve = () => resolve();
      this.#reject = () => resolve();
    });
    if (this.#cancelError !== undefined) this.#recordOutcome(OUTCOME_ERROR, this.#cancelError);
    else this.#recordOutcome(OUTCOME_VALUE, undefined);
    await done;
  }

  static #isOurs(scope: Cancelable): boolean {
    return #phase in scope;
  }

  #checkStartable(method: string): void {
    if (this.#phase !== PENDING) {
      throw new TypeError(
        `${method}(): scope '${this.name}' (${this.id}) was already started (status ${this.#status}); a scope runs once`,
      );
    }
  }

  /** Starts the scope: links the parent, starts sources, registers. Returns a start error, if any. */
  #begin(): { error: unknown } | undefined {
    this.#phase = STARTING;
    this.#status = OperationStatus.Running;
    this.#startTime = this.clock.now();
    let parent = this.#parentOption === undefined ? Cancelable.current() : (this.#parentOption ?? undefined);
    if (parent === this) parent = undefined;
    if (parent !== undefined && !Cancelable.#isOurs(parent)) {
      // A scope of another copy of the library (ESM and CommonJS builds loaded together): its private
      // state is out of reach, so link through its public API. Cancellation flows down; it does not wait.
      this.#parent = parent;
      this.#foreignOff = parent.addCancelListener(() => this.#cancelTree(parentError(parent, this, undefined)));
    } else if (parent !== undefined) {
      this.#parent = parent;
      if (parent.#phase !== DONE) (parent.#children ??= new Set()).add(this);
      if (parent.#cancelError !== undefined) this.#markCancelled(parentError(parent, this, undefined));
      else if (parent.#phase === DONE) this.#markCancelled(parentError(parent, this, 'Parent operation has already ended'));
      // A parent already ending its children cancels this late one too, and waits for it.
      parent.#waitForChild?.(this);
    }
    if (this.#token !== undefined) this.#listenToToken();
    const sources = this.#sources;
    if (sources !== undefined) {
      if (sources.length === 1) {
        const source = sources[0] as CancelationSource;
        try {
          this.#sourceStates = source[kActivate](this);
        } catch (error) {
          reportSourceError(this, source, 'start', error);
          return { error };
        }
      } else {
        const states = (this.#sourceStates = new Array<unknown>(sources.length));
        for (let i = 0; i < sources.length; i++) {
          try {
            states[i] = (sources[i] as CancelationSource)[kActivate](this);
          } catch (error) {
            reportSourceError(this, sources[i] as CancelationSource, 'start', error);
            this.#sourceStates = states.slice(0, i);
            return { error };
          }
        }
      }
    }
    try {
      this.#registerStart();
    } catch (error) {
      return { error };
    }
    if (channels.start.hasSubscribers) channels.start.publish({ scope: this });
    return undefined;
  }

  #registerStart(): void {
    const register = this.#register;
    const auto = runtime.autoRegistries;
    if (register === false && auto.size === 0) return;
    const registries: ScopeObserver[] = [];
    if (register === true) registries.push(defaultRegistry());
    else if (register !== false) registries.push(register);
    for (const registry of auto) {
      if (!registries.includes(registry as ScopeObserver)) registries.push(registry as ScopeObserver);
    }
    const accepted: ScopeObserver[] = [];
    this.#registries = accepted;
    for (const registry of registries) {
      registry.scopeStarted(this);
      accepted.push(registry);
    }
  }

  #invoke(body: (scope: this) => unknown): void {
    if (this.#phase !== STARTING) return;
    this.#phase = BODY;
    if (this.#cancelError !== undefined) this.#armGrace();
    let result: unknown;
    try {
      result = runtime.storage.run(this, body, this);
    } catch (error) {
      this.#bodySettled(OUTCOME_ERROR, error);
      return;
    }
    if (!isThenable(result)) {
      this.#bodySettled(OUTCOME_VALUE, result);
      return;
    }
    // Two small closures and one reaction: far less memory per running scope than an async watcher.
    try {
      result.then(
        (value) => this.#bodySettled(OUTCOME_VALUE, value),
        (error: unknown) => this.#bodySettled(OUTCOME_ERROR, error),
      );
    } catch (error) {
      this.#bodySettled(OUTCOME_ERROR, error); // a foreign thenable whose then() throws
    }
  }

  #bodySettled(outcome: number, value: unknown): void {
    if (this.#phase !== BODY) {
      // The run already ended without it (grace expired): drop the outcome, but say so.
      if (channels.abandoned.hasSubscribers) {
        channels.abandoned.publish({
          scope: this,
          outcome: outcome === OUTCOME_VALUE ? 'fulfilled' : 'rejected',
          value,
          graceMs: this.graceMs,
        });
      }
      log(this.logger, 'debug', `cancelable: abandoned body of '${this.name}' settled after the scope ended`, {
        operationId: this.id,
      });
      return;
    }
    this.#recordOutcome(outcome, value);
  }

  /** Records how the body ended; finishes now, or when the last shield ends. */
  #recordOutcome(outcome: number, value: unknown): void {
    this.#phase = SETTLING;
    this.#outcome = outcome;
    this.#outcomeCancelled = this.#cancelError !== undefined;
    this.#value = value;
    this.#disarmGrace();
    if (this.#shields === 0) this.#finish();
  }

  #armGrace(): void {
    if (this.#graceTimer !== undefined || this.graceMs === Infinity) return;
    this.#graceTimer = this.clock.setTimeout(Cancelable.#graceExpiredFor, this.graceMs, this);
  }

  #disarmGrace(): void {
    if (this.#graceTimer === undefined) return;
    this.clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  static #graceExpiredFor(scope: Cancelable): void {
    scope.#graceTimer = undefined;
    if (scope.#phase !== BODY) return;
    if (scope.#shields > 0) {
      scope.#graceExpired = true;
      return;
    }
    scope.#abandon();
  }

  #abandon(): void {
    // The body is still running past the grace period: say so now (it may never settle).
    if (channels.abandoned.hasSubscribers) {
      channels.abandoned.publish({ scope: this, outcome: 'pending', value: undefined, graceMs: this.graceMs });
    }
    log(this.logger, 'warn', `cancelable: '${this.name}' ignored cancellation for ${this.graceMs}ms; not waiting for it`, {
      operationId: this.id,
    });
    this.#recordOutcome(OUTCOME_ABANDONED, undefined);
  }

  /** Decides the final status and error; then ends children, releases everything, runs callbacks. */
  #finish(): void {
    if (this.#finishing) return;
    this.#finishing = true;
    let status: OperationStatus;
    let settleOk = false;
    let settleValue: unknown;
    const cancelError = this.#cancelError;
    const outcome = this.#outcome;
    const value = this.#value;
    this.#value = undefined;
    if (outcome === OUTCOME_VALUE) {
      status = OperationStatus.Completed;
      settleOk = true;
      settleValue = value;
    } else if (outcome === OUTCOME_ABANDONED) {
      status = OperationStatus.Cancelled;
      settleValue = cancelError;
    } else if (cancelError !== undefined && (this.#outcomeCancelled || isCancelationError(value))) {
      status = OperationStatus.Cancelled;
      settleValue = cancelError;
      if (value !== cancelError && cancelError.cause === undefined && !causeChainIncludes(value, cancelError)) {
        cancelError.cause = value;
      }
    } else if (isCancelationError(value)) {
      status = OperationStatus.Cancelled;
      this.#cancelError = value;
      settleValue = value;
    } else {
      status = OperationStatus.Failed;
      this.#failure = value;
      settleValue = value;
    }
    const children = this.#children;
    if (children !== undefined && children.size > 0) {
      this.#endChildren(children, () => this.#complete(status, settleOk, settleValue));
    } else {
      this.#complete(status, settleOk, settleValue);
    }
  }

  /** A parent that ends cancels the children still running and waits for them to end. */
  #endChildren(children: Set<Cancelable>, then: () => void): void {
    let remaining = 1; // held until every current child is counted
    const one = (): void => {
      if (--remaining > 0) return;
      this.#waitForChild = undefined;
      then();
    };
    const wait = (this.#waitForChild = (child: Cancelable): void => {
      remaining++;
      child.#cancelTree(parentError(this, child, this.#cancelError !== undefined ? undefined : 'Parent operation ended'));
      child.#onEnd(one);
    });
    for (const child of [...children]) wait(child);
    one();
  }

  #complete(status: OperationStatus, settleOk: boolean, settleValue: unknown): void {
    this.#status = status;
    this.#endTime = this.clock.now();
    this.#phase = DONE;
    this.#disarmGrace();
    this.#releaseSources();
    this.#tokenOff?.();
    this.#tokenOff = undefined;
    this.#waiters = undefined;
    if (this.#foreignOff !== undefined) {
      this.#foreignOff();
      this.#foreignOff = undefined;
    } else if (this.#parent !== undefined) this.#parent.#children?.delete(this);
    const registries = this.#registries;
    if (registries !== undefined) {
      this.#registries = undefined;
      for (const registry of registries) {
        try {
          registry.scopeEnded(this);
        } catch (error) {
          reportCallbackError(this, 'registry.scopeEnded', error);
        }
      }
    }
    if (channels.end.hasSubscribers) {
      channels.end.publish({
        scope: this,
        status,
        durationMs: this.#endTime - this.#startTime,
        error: settleOk ? undefined : settleValue,
      });
    }
    const logger = this.logger ?? runtime.logger;
    if (logger !== undefined) {
      log(logger, 'debug', `cancelable: '${this.name}' ended ${status} after ${this.#endTime - this.#startTime}ms`, {
        operationId: this.id,
        status,
      });
    }
    const callbacks = this.#callbacks;
    const kind = status === 'completed' ? 'complete' : status === 'cancelled' ? 'cancel' : 'error';
    if (callbacks !== undefined && callbacks[kind] !== undefined) {
      void this.#runCallbacks(kind, settleValue).then(() => this.#settle(settleOk, settleValue));
    } else {
      this.#settle(settleOk, settleValue); // the common case: no closure
    }
  }

  /** Settles run() (or disposal), then tells whoever waits for this scope's end. */
  #settle(ok: boolean, value: unknown): void {
    this.#settled = true;
    const ends = this.#endWaiters;
    this.#endWaiters = undefined;
    if (ok) this.#resolve(value);
    else this.#reject(value);
    this.#resolve = noop;
    this.#reject = noop;
    if (ends !== undefined) for (const end of ends) notifyEnd(end);
  }

  /** Calls `callback` once the scope has fully ended (at once if it has). */
  #onEnd(callback: () => void): void {
    if (this.#settled) callback();
    else (this.#endWaiters ??= []).push(callback);
  }

  #releaseSources(): void {
    const sources = this.#sources;
    const states = this.#sourceStates;
    if (sources === undefined || states === INACTIVE) return;
    this.#sourceStates = INACTIVE;
    if (sources.length === 1) {
      deactivate(this, sources[0] as CancelationSource, states);
      return;
    }
    const list = states as unknown[];
    for (let i = 0; i < list.length; i++) deactivate(this, sources[i] as CancelationSource, list[i]);
  }

  /** Runs one kind of callback in order, awaiting async ones; failures are reported, never thrown. */
  async #runCallbacks(kind: keyof Callbacks, error: unknown): Promise<void> {
    const list = this.#callbacks?.[kind];
    if (list === undefined) return;
    const context = this.context;
    for (const callback of list.slice()) {
      try {
        const result =
          kind === 'error'
            ? (callback as ErrorCallback)(context, error)
            : (callback as ContextCallback)(context);
        if (isThenable(result)) await result;
      } catch (failure) {
        reportCallbackError(this, callbackName(kind), failure);
      }
    }
  }

  // ---------------------------------------------------------------- cancellation

  /**
   * Requests cancellation: the signal aborts, every library await rejects, running children are
   * cancelled with `ParentCancelation`. Returns `true` if this call cancelled the scope. It returns at
   * once; await `run()` to see the scope end. Calling it before the scope starts makes it start cancelled.
   * @example
   * ```ts
   * scope.cancel('User clicked cancel');
   * scope.cancel({ reason: 'timeout', message: 'Budget exhausted' });
   * ```
   */
  cancel(argument?: CancelArgument): boolean {
    const { reason, message } = parseCancelArgument(argument);
    if (this.#cancelError !== undefined || this.#phase === DONE) return false;
    return this.#cancelTree(createCancelationError({ reason, message }, this.id));
  }

  /** Throws the cancellation error if the scope was cancelled. */
  throwIfCancelled(): void {
    if (this.#cancelError !== undefined) throw this.#cancelError;
  }

  /** @internal A source fired. */
  [kFire](init: CancelationInit, source: CancelationSource): void {
    if (this.#cancelError !== undefined || this.#phase === DONE) return;
    this.#cancelTree(createCancelationError(init, this.id), source);
  }

  /** @internal For reports from sources. */
  get reportable(): this {
    return this;
  }

  /** Cancels this scope and, iteratively (no recursion limit), every running descendant. */
  #cancelTree(error: CancelationError, source?: CancelationSource): boolean {
    if (!this.#markCancelled(error, source)) return false;
    if (this.#children === undefined || this.#children.size === 0) return true;
    const stack: Cancelable[] = [this];
    while (stack.length > 0) {
      const parent = stack.pop() as Cancelable;
      const children = parent.#children;
      if (children === undefined) continue;
      const message = parentCancelledMessage(parent);
      for (const child of children) {
        if (child.#cancelError === undefined && child.#markCancelled(parentError(parent, child, undefined, message))) {
          if (child.#children !== undefined && child.#children.size > 0) stack.push(child);
        }
      }
    }
    return true;
  }

  /** Local part of a cancellation: record, abort the signal, wake waiters. No children. */
  #markCancelled(error: CancelationError, source?: CancelationSource): boolean {
    if (this.#cancelError !== undefined || this.#phase === DONE) return false;
    this.#cancelError = error;
    if (this.#phase === BODY) this.#armGrace();
    if (channels.cancel.hasSubscribers) {
      channels.cancel.publish({ scope: this, reason: error.reason, message: error.message, source, error });
    }
    const logger = this.logger ?? runtime.logger;
    if (logger !== undefined) {
      log(logger, 'debug', `cancelable: '${this.name}' cancel requested (${error.reason}): ${error.message}`, {
        operationId: this.id,
        reason: error.reason,
        source: source?.name,
      });
    }
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters !== undefined) for (const waiter of waiters) waiter(error);
    this.#controller?.abort(error);
    return true;
  }

  #listenToToken(): void {
    const token = this.#token as CancelationToken;
    this.#tokenOff = token.onCancel(() => {
      this[kFire]({ reason: token.reason ?? 'manual', message: token.message }, tokenSourceMarker);
    });
  }

  // ---------------------------------------------------------------- awaits handed out

  /**
   * Waits `ms` milliseconds; rejects with the cancellation error as soon as the scope is cancelled.
   * @example
   * ```ts
   * await scope.sleep(500);
   * ```
   */
  sleep(ms: number): Promise<void> {
    checkDuration('ms', ms);
    if (this.#cancelError !== undefined) return Promise.reject(this.#cancelError);
    const clock = this.clock;
    return new Promise<void>((resolve, reject) => {
      let handle: TimerHandle;
      const waiter: Waiter = (error) => {
        clock.clearTimeout(handle);
        reject(error);
      };
      // Always a real timer, even for 0: a loop of sleep(0) must not starve the event loop.
      let remaining = ms;
      const tick = (): void => {
        if (remaining > 0 || handle === undefined) {
          const step = Math.min(remaining, MAX_TIMER_DELAY);
          remaining -= step;
          handle = clock.setTimeout(tick, step, undefined);
          return;
        }
        this.#waiters?.delete(waiter);
        resolve();
      };
      (this.#waiters ??= new Set()).add(waiter);
      tick();
    });
  }

  /**
   * Waits for `promise`; rejects with the cancellation error as soon as the scope is cancelled. The
   * promise's later rejection is handled (never an unhandled rejection). The work behind it keeps
   * running unless it observes {@link Cancelable.signal}.
   * @example
   * ```ts
   * const rows = await scope.race(db.query(sql));
   * ```
   */
  race<T>(promise: PromiseLike<T> | T): Promise<T> {
    const thenable =
      promise !== null && typeof promise === 'object' && typeof (promise as PromiseLike<T>).then === 'function';
    if (this.#cancelError !== undefined) {
      if (thenable) (promise as PromiseLike<T>).then(undefined, noop);
      return Promise.reject(this.#cancelError);
    }
    if (!thenable) return Promise.resolve(promise as T);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = reject;
      (this.#waiters ??= new Set()).add(waiter);
      (promise as PromiseLike<T>).then(
        (value) => {
          this.#waiters?.delete(waiter);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiters?.delete(waiter);
          reject(error);
        },
      );
    });
  }

  /**
   * The same function, run in this scope: it checks cancellation before it runs and races its result.
   * @example
   * ```ts
   * const load = scope.wrap(async (id: string) => db.get(id));
   * await load('42');
   * ```
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<R> {
    checkFunction('fn', fn);
    return (...args: A): Promise<R> => {
      if (this.#cancelError !== undefined) return Promise.reject(this.#cancelError);
      let result: R | PromiseLike<R>;
      try {
        result = runtime.storage.run(this, fn, ...args);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.race(result);
    };
  }

  /**
   * @internal Registers a callback for this scope's cancellation (streams, workers, processes use it).
   * Returns a function that unregisters it. If the scope is already cancelled, calls it at once.
   */
  addCancelListener(listener: (error: CancelationError) => void): () => void {
    if (this.#cancelError !== undefined) {
      listener(this.#cancelError);
      return noop;
    }
    (this.#waiters ??= new Set()).add(listener);
    return () => {
      this.#waiters?.delete(listener);
    };
  }

  // ---------------------------------------------------------------- streams, threads, processes

  /**
   * Iterates `source` (any AsyncIterable or Iterable, a web ReadableStream, a Node Readable) so that a
   * pending `next()` rejects as soon as the scope is cancelled, and the source is closed on every exit.
   * @example
   * ```ts
   * for await (const chunk of scope.stream(llm.generate(prompt))) process.stdout.write(chunk);
   * ```
   */
  stream<T>(source: StreamSource<T>, options?: CancelableStreamOptions<T>): CancelableAsyncIterator<T> {
    return cancelableStream(source, this, options);
  }

  /**
   * Runs a worker file whose code calls `workerMain(async (scope, workerData) => result)`; resolves
   * with its result. On cancellation the worker's scope is cancelled and the worker is terminated if it
   * has not finished `graceMs` later.
   */
  runInWorker<R = unknown>(file: string | URL, options?: RunInWorkerOptions): Promise<R> {
    return runInWorker<R>(this, file, options);
  }

  /**
   * Spawns a child process tied to the scope: on cancellation it gets `SIGTERM` (or `killSignal`), then
   * `SIGKILL` after `graceMs`. Resolves with `{ code, signal, stdout, stderr }`; `.child` is the process.
   */
  spawn(command: string, args?: readonly string[], options?: ScopedSpawnOptions): SpawnPromise {
    return spawnInScope(this, command, args, options);
  }

  /**
   * Forks a Node module that runs `Cancelable.fromParentProcess().run(fn)`; resolves with that run's
   * value. The child's scope is cancelled with this scope's reason and message.
   */
  fork<R = unknown>(module: string | URL, args?: readonly string[], options?: ForkOptions): ForkPromise<R> {
    return forkInScope<R>(this, module, args, options);
  }

  // ---------------------------------------------------------------- shields

  /**
   * Runs `body` protected from this scope's cancellation and its ancestors' (its own `timeout`, if
   * given, still applies). The body completes; then, if this scope was cancelled meanwhile (or before),
   * `shield()` rejects with this scope's cancellation error, so the body above stops. `run()` waits for
   * every shield in progress before it settles, whatever the grace period.
   * @example
   * ```ts
   * try { await work(scope); }
   * finally { await scope.shield(() => saveState(), { timeout: 5_000 }); }
   * ```
   */
  shield<T>(body: (shielded: Cancelable) => T | PromiseLike<T>, options?: ShieldOptions): Promise<T> {
    checkFunction('body', body);
    checkOptions('options', options);
    if (this.#status !== OperationStatus.Running || this.#phase === SETTLING) {
      throw new TypeError(`shield() needs a running scope; '${this.name}' is ${this.#status}`);
    }
    const timeout = options?.timeout;
    const sources = timeout === undefined ? undefined : [new TimeoutSource(checkDuration('options.timeout', timeout))];
    const inner = new Cancelable({
      name: checkOptionalString('options.name', options?.name) ?? `${this.name}:shield`,
      parent: null,
      sources,
      graceMs: this.graceMs,
      clock: this.clock,
      metadata: { shieldOf: this.id },
      ...(this.logger !== undefined ? { logger: this.logger } : {}),
    });
    this.#shields++;
    return Cancelable.#runShield(this, inner, body);
  }

  static async #runShield<T>(
    outer: Cancelable,
    inner: Cancelable,
    body: (shielded: Cancelable) => T | PromiseLike<T>,
  ): Promise<T> {
    let value: T;
    try {
      value = await inner.run(body);
    } finally {
      outer.#shieldEnded();
    }
    if (outer.#cancelError !== undefined) throw outer.#cancelError;
    return value;
  }

  #shieldEnded(): void {
    if (--this.#shields > 0) return;
    const idle = this.#shieldsIdle;
    this.#shieldsIdle = undefined;
    if (idle !== undefined) for (const wake of idle) wake();
    if (this.#phase === SETTLING && this.#outcome !== OUTCOME_NONE) {
      this.#finish();
    } else if (this.#phase === BODY && this.#graceExpired) {
      this.#abandon();
    }
  }
  #finishing = false;
  #settled = false;
  #waitForChild: ((child: Cancelable) => void) | undefined;

  /** Number of shields in progress. */
  get activeShields(): number {
    return this.#shields;
  }

  // ---------------------------------------------------------------- progress

  /**
   * Reports progress: stored on the context, passed to `onProgress` callbacks, the registry and the
   * `cancelable:progress` channel.
   * @example
   * ```ts
   * scope.reportProgress('Step 3/10', { step: 3 });
   * ```
   */
  reportProgress(message: string, metadata?: Record<string, unknown>): void {
    if (typeof message !== 'string') throw new TypeError(`message must be a string, got ${describeValue(message)}`);
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
      throw new TypeError(`metadata must be an object, got ${describeValue(metadata)}`);
    }
    this.#progress = { message, metadata: metadata ?? null, at: this.clock.now() };
    const callbacks = this.#callbacks?.progress;
    if (callbacks !== undefined) {
      const id = this.id;
      for (const callback of callbacks) {
        try {
          const result = callback(id, message, metadata);
          if (isThenable(result)) {
            result.then(undefined, (failure: unknown) =>
              reportCallbackError(this, 'onProgress', failure),
            );
          }
        } catch (failure) {
          reportCallbackError(this, 'onProgress', failure);
        }
      }
    }
    const registries = this.#registries;
    if (registries !== undefined) {
      for (const registry of registries) {
        try {
          registry.scopeProgress(this, message, metadata);
        } catch (failure) {
          reportCallbackError(this, 'registry.scopeProgress', failure);
        }
      }
    }
    if (channels.progress.hasSubscribers) channels.progress.publish({ scope: this, message, metadata });
  }

  /** For `console.log` and the debugger. */
  toJSON(): OperationContext {
    return this.context;
  }
}

/**
 * What enter() puts in the async context. `enterWith` also reaches the caller of an async function,
 * where disposal cannot undo it: clearing `scope` at disposal makes such a context see the store it
 * had before (`previous`) and lets the ended scope be collected.
 */
const frameBrand = Symbol.for('cancelable.EnteredFrame');
class EnteredFrame {
  readonly [frameBrand] = true;
  constructor(
    public scope: Cancelable | undefined,
    readonly previous: object | undefined,
  ) {}
}

function isEnteredFrame(value: unknown): value is EnteredFrame {
  return typeof value === 'object' && value !== null && frameBrand in value;
}

const tokenSourceMarker = new (class ScopeTokenSource extends TokenSource {})(new CancelationToken(), {
  name: 'scope-token',
});

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** The context's `error`: an error's message (from any realm), else the value as a string. Never throws. */
function failureMessage(failure: unknown): string {
  try {
    const message = typeof failure === 'object' && failure !== null ? (failure as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : String(failure);
  } catch {
    try {
      return Object.prototype.toString.call(failure);
    } catch {
      return 'an unprintable value'; // a proxy whose traps all throw
    }
  }
}

function callbackName(kind: keyof Callbacks): string {
  return kind === 'progress'
    ? 'onProgress'
    : kind === 'start'
      ? 'onStart'
      : kind === 'complete'
        ? 'onComplete'
        : kind === 'cancel'
          ? 'onCancel'
          : 'onError';
}

function checkSource(name: string, source: unknown): void {
  if (!(source instanceof CancelationSource)) {
    throw new TypeError(`${name} must be a CancelationSource, got ${describeValue(source)}`);
  }
}

function isObserver(value: unknown): value is ScopeObserver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ScopeObserver).scopeStarted === 'function' &&
    typeof (value as ScopeObserver).scopeEnded === 'function'
  );
}

function withSource(options: CancelableOptions | undefined, source: CancelationSource): CancelableOptions {
  checkOptions('options', options);
  const sources = options?.sources;
  if (sources !== undefined && !Array.isArray(sources)) {
    throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(sources)}`);
  }
  return { ...options, sources: sources === undefined ? [source] : [...sources, source] };
}

/** The message of a child's error when its parent was cancelled (computed once per parent when fanning out). */
function parentCancelledMessage(parent: Cancelable): string {
  const cause = parent.cancelError;
  return `Parent '${parent.name}' was cancelled${cause !== undefined ? `: ${cause.message}` : ''}`;
}

/** The error a child gets from its parent. Built without a stack trace: cancelling 100k children stays fast. */
function parentError(
  parent: Cancelable,
  child: Cancelable,
  endedMessage: string | undefined,
  cancelledMessage?: string,
): ParentCancelation {
  const cause = parent.cancelError;
  const parentReason: CancelationReason | undefined = endedMessage === undefined ? cause?.reason : undefined;
  const message = endedMessage ?? cancelledMessage ?? parentCancelledMessage(parent);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ParentCancelation(message, {
      operationId: child.id,
      cause: endedMessage === undefined ? cause : undefined,
      parentId: parent.id,
      parentReason,
    });
  } finally {
    Error.stackTraceLimit = limit;
  }
}
