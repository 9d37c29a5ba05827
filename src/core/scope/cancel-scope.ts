import type { Clock } from '../clock.js';
import type { OperationContext } from '../context.js';
import { runTracing, type Logger } from '../diagnostics.js';
import { createCancelationError, type CancelationError, type CancelationInit } from '../errors.js';
import { nextId } from '../ids.js';
import { type OperationStatus } from '../reasons.js';
import { kFire, type CancelationSource, type SourceTarget } from '../source.js';
import { parseCancelArgument, type CancelArgument, type CancelationToken } from '../token.js';
import { checkDuration, checkFunction, describeValue } from '../validate.js';
import { checkStartable } from './begin.js';
import { kHoldProtocol, kListenProtocol, kOwnScope } from './brand.js';
import { addCallback, type ContextCallback, type ErrorCallback, type ProgressCallback } from './callbacks.js';
import { currentScope } from './current.js';
import { dispose, enter } from './enter.js';
import { extrasOf, type ScopeExtras } from './extras.js';
import { hold, type Hold, type Ledger } from './ledger.js';
import { applyOptions, checkGraceChange, checkRename, checkSource, DEFAULT_GRACE_MS, type CancelableOptions } from './options.js';
import { DONE, PENDING, statusOf } from './phases.js';
import { reportProgress } from './progress.js';
import { startRun, type RunRecord } from './run.js';
import { shield, type ShieldOptions } from './shield.js';
import { contextOf } from './snapshot.js';
import { INACTIVE, tokenOf } from './sources.js';
import { cancelScope, signalOf } from './tree.js';
import type { WaiterSet } from './waiter-set.js';
import { listen, race, sleep, waitForCancel, wrap } from './waiters.js';

/**
 * A cancel scope: runs a body, and cancels it when one of its sources fires (a timeout, a token, an OS
 * signal, a condition...), when `cancel()` is called, or when its parent is cancelled. This is the
 * kernel every scope is built on; create scopes with `Cancelable` (the same class plus its factories).
 *
 * JavaScript cannot interrupt an `await`, so cancellation reaches the body through the awaits the
 * scope hands out — {@link CancelScope.sleep}, {@link CancelScope.race}, streams, and
 * {@link CancelScope.signal} for fetch, timers and streams — which reject at once, and `run()` never
 * waits on a body that ignores cancellation for longer than its `graceMs`.
 *
 * @example
 * ```ts
 * const data = await new Cancelable({ timeout: 2_000, name: 'fetch' }).run(async (scope) => {
 *   const response = await fetch(url, { signal: scope.signal });
 *   return response.json();
 * });
 * ```
 */
export class CancelScope<P = unknown> implements SourceTarget {
  // Internal state, shared by the kernel's modules (one concept per file). Users read the members below.
  /** @internal */ _id: string | undefined = undefined;
  /** @internal */ _name = 'operation';
  /** @internal See phases.ts (the final status is part of it). */ _phase = PENDING;
  /** @internal Before start the option (undefined: implicit, null: detached); then the parent or null. */
  _parent: CancelScope | null | undefined = undefined;
  /** @internal A shield's scope: its parent's cancellation does not cross the edge. */ _shielded = false;
  /** @internal */ _sources: CancelationSource[] | undefined = undefined;
  /** @internal INACTIVE, the one source's state, or the states of the sources. */ _sourceState: unknown = INACTIVE;
  /** @internal Set once; the same object as `signal.reason` and the rejection. */
  _cancelError: CancelationError | undefined = undefined;
  /** @internal Library awaits; dropped when cancelled or ended. */ _waiters: WaiterSet | undefined = undefined;
  /** @internal The signal's controller, or the signal itself when created already aborted. */
  _abort: AbortController | AbortSignal | undefined = undefined;
  /** @internal Children, shields and holds. */ _ledger: Ledger | undefined = undefined;
  /** @internal The running run, until it settles. */ _run: RunRecord | undefined = undefined;
  /** @internal Monotonic clock at start and end (durations). */ _startMono = 0;
  /** @internal */ _endMono = 0;
  /** @internal */ _clock!: Clock;
  /** @internal Rare fields (metadata, callbacks, grace, logger, token...). */ _x: ScopeExtras | undefined = undefined;

  constructor(options?: CancelableOptions) {
    applyOptions(this, options);
  }

  /**
   * The innermost running scope of the current async context, or `undefined`.
   * @example
   * ```ts
   * async function step() { Cancelable.current()?.throwIfCancelled(); }
   * ```
   */
  static current(): CancelScope | undefined {
    return currentScope();
  }

  /** The scope's id (a random UUID unless given). */
  get id(): string {
    return (this._id ??= nextId());
  }

  /** The scope's name. Assignable before the scope starts (a non-empty string; TypeError otherwise). */
  get name(): string {
    return this._name;
  }

  set name(value: string) {
    this._name = checkRename(this, value);
  }

  /**
   * How long `run()` waits for a body that ignores a cancellation (`Infinity`: for ever). Assignable
   * until the scope ends (ms >= 0 or `Infinity`; RangeError otherwise); a grace period already counting
   * keeps its length.
   */
  get graceMs(): number {
    return this._x?.graceMs ?? DEFAULT_GRACE_MS;
  }

  set graceMs(value: number) {
    extrasOf(this).graceMs = checkGraceChange(this, value);
  }

  /** The clock the scope's timers run on. */
  get clock(): Clock {
    return this._clock;
  }

  /** The scope's logger, if one was given. */
  get logger(): Logger | undefined {
    return this._x?.logger;
  }

  /**
   * What the operation produced so far (streams keep `{ count, buffer, completed }` here), typed by the
   * scope's type parameter (`new Cancelable<{ rows: number }>()`); `scope.context.partialResult` has
   * the same type.
   */
  get partialResult(): P | null {
    return (this._x?.partialResult ?? null) as P | null;
  }

  set partialResult(value: P | null) {
    extrasOf(this).partialResult = value;
  }

  /** `pending`, `running`, then one of `completed`, `cancelled`, `failed`. */
  get status(): OperationStatus {
    return statusOf(this._phase);
  }

  /** The parent scope, once started. */
  get parent(): CancelScope | undefined {
    return this._phase === PENDING ? undefined : (this._parent ?? undefined);
  }

  /** Whether the scope is running (started and not yet ended). */
  get isRunning(): boolean {
    return this._phase > PENDING && this._phase < DONE;
  }

  /** Whether a cancellation has been requested (from any source). */
  get isCancelled(): boolean {
    return this._cancelError !== undefined;
  }

  /** The cancellation error, once cancelled (also `signal.reason` and `run()`'s rejection). */
  get cancelError(): CancelationError | undefined {
    return this._cancelError;
  }

  /** The sources the scope listens to. */
  get sources(): readonly CancelationSource[] {
    return this._sources ?? [];
  }

  /** Free-form data, kept on the context (created on first read unless given). */
  get metadata(): Record<string, unknown> {
    return (extrasOf(this).metadata ??= {});
  }

  set metadata(value: Record<string, unknown>) {
    if (value === null || typeof value !== 'object') throw new TypeError(`metadata must be an object, got ${describeValue(value)}`);
    extrasOf(this).metadata = value;
  }

  /** Number of shields in progress. */
  get activeShields(): number {
    return this._ledger?.shields ?? 0;
  }

  /**
   * An AbortSignal aborted with the scope's cancellation error. Hand it to fetch, timers, streams and
   * child processes. Created on first read (creating one costs microseconds); never warns however many
   * listeners it gets.
   */
  get signal(): AbortSignal {
    return signalOf(this);
  }

  /**
   * The scope's own token: cancelling it cancels the scope, at once, before start too. (The scope never
   * cancels tokens, its own included: cancellation flows from tokens to scopes only.)
   */
  get token(): CancelationToken {
    return tokenOf(this);
  }

  /** A JSON-serialisable snapshot of the scope. */
  get context(): OperationContext<P> {
    return contextOf(this) as OperationContext<P>;
  }

  /** For `JSON.stringify`: the context. */
  toJSON(): OperationContext<P> {
    return contextOf(this) as OperationContext<P>;
  }

  /** Adds a source; only before the scope starts. Returns the scope. */
  addSource(source: CancelationSource): this {
    checkSource('source', source);
    if (this._phase !== PENDING) {
      throw new TypeError(`addSource() must be called before the scope starts; '${this._name}' is ${this.status}`);
    }
    if (this._sources === undefined) this._sources = [source];
    else this._sources.push(source);
    return this;
  }

  /** Runs `callback(operationId, message, metadata)` on each progress report. Chainable. */
  onProgress(callback: ProgressCallback): this {
    return addCallback(this, 'progress', callback);
  }

  /** Runs `callback(context)` when the scope starts, before the body (async callbacks are awaited). */
  onStart(callback: ContextCallback): this {
    return addCallback(this, 'start', callback);
  }

  /** Runs `callback(context)` when the scope completes, before `run()` settles. */
  onComplete(callback: ContextCallback): this {
    return addCallback(this, 'complete', callback);
  }

  /** Runs `callback(context)` when the scope ends cancelled, before `run()` settles. */
  onCancel(callback: ContextCallback): this {
    return addCallback(this, 'cancel', callback);
  }

  /** Runs `callback(context, error)` when the scope fails, before `run()` settles. */
  onError(callback: ErrorCallback): this {
    return addCallback(this, 'error', callback);
  }

  /**
   * Runs `body(scope)` in the scope and settles with its outcome (SPEC §3): the body's value; the
   * scope's cancellation error if it was cancelled (at most `graceMs` after the cancellation, shields
   * aside); or the body's own error. A scope runs once.
   */
  run<T>(body: (scope: this) => T | PromiseLike<T>): Promise<T> {
    checkFunction('body', body);
    checkStartable(this, 'run');
    if (runTracing.hasSubscribers) {
      // An APM's bindStore(start) makes its context current for the whole run, the body included.
      return runTracing.tracePromise(startRun, { scope: this }, undefined, this, body as (scope: CancelScope) => unknown) as Promise<T>;
    }
    return startRun(this, body as (scope: CancelScope) => unknown) as Promise<T>;
  }

  /**
   * Starts the scope for a block that cannot be a callback; end it with `await using` (or
   * `await scope[Symbol.asyncDispose]()`). The scope is current for the rest of the enclosing
   * function. Disposal ends it `cancelled` if it was cancelled and `completed` otherwise, and never
   * throws. Async `onStart` callbacks are not awaited here.
   * @example
   * ```ts
   * await using scope = Cancelable.withTimeout(1_000).enter();
   * await scope.sleep(5_000); // rejects after 1 s
   * ```
   */
  enter(): this {
    enter(this);
    return this;
  }

  /** Ends a scope started with {@link CancelScope.enter}. Never throws. */
  [Symbol.asyncDispose](): Promise<void> {
    return dispose(this);
  }

  /**
   * Requests cancellation: the signal aborts, every library await rejects, running children are
   * cancelled with `ParentCancelation`. Returns `true` if this call cancelled the scope. It returns at
   * once; await `run()` to see the scope end. Before start, the scope is cancelled at once and starts
   * cancelled.
   * @example
   * ```ts
   * scope.cancel('User clicked cancel');
   * scope.cancel({ reason: 'timeout', message: 'Budget exhausted' });
   * ```
   */
  cancel(argument?: CancelArgument): boolean {
    const { reason, message } = parseCancelArgument(argument);
    if (this._cancelError !== undefined || this._phase >= DONE) return false;
    return cancelScope(this, createCancelationError({ reason, message }, this));
  }

  /** Throws the cancellation error if the scope was cancelled. */
  throwIfCancelled(): void {
    if (this._cancelError !== undefined) throw this._cancelError;
  }

  /**
   * Resolves with the cancellation error once the scope is cancelled, by any source; never rejects.
   * @example
   * ```ts
   * await Cancelable.withSignal().run(async (scope) => { server.listen(); await scope.waitForCancel(); });
   * ```
   */
  waitForCancel(): Promise<CancelationError> {
    return waitForCancel(this);
  }

  /**
   * Waits `ms` milliseconds; rejects with the cancellation error as soon as the scope is cancelled.
   * @example
   * ```ts
   * await scope.sleep(500);
   * ```
   */
  sleep(ms: number): Promise<void> {
    return sleep(this, checkDuration('ms', ms));
  }

  /**
   * Waits for `promise`; rejects with the cancellation error as soon as the scope is cancelled. The
   * promise's later rejection is handled (never an unhandled rejection). The work behind it keeps
   * running unless it observes {@link CancelScope.signal}.
   * @example
   * ```ts
   * const rows = await scope.race(db.query(sql));
   * ```
   */
  race<T>(promise: PromiseLike<T> | T): Promise<T> {
    return race(this, promise);
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
    return wrap(this, checkFunction('fn', fn));
  }

  /**
   * Runs `body` protected from this scope's cancellation and its ancestors' (its own `timeout`, if
   * given, still applies). The body completes; then, if this scope was cancelled meanwhile (or before),
   * `shield()` rejects with this scope's cancellation error, so the body above stops. `run()` waits for
   * every shield in progress before it settles, and the grace period starts again when the last ends.
   * @example
   * ```ts
   * try { await work(scope); }
   * finally { await scope.shield(() => saveState(), { timeout: 5_000 }); }
   * ```
   */
  shield<T>(body: (shielded: this) => T | PromiseLike<T>, options?: ShieldOptions): Promise<T> {
    return shield(this, checkFunction('body', body), options);
  }

  /**
   * Reports progress: stored on the context, passed to `onProgress` callbacks, the registry and the
   * `cancelable:progress` channel.
   * @example
   * ```ts
   * scope.reportProgress('Step 3/10', { step: 3 });
   * ```
   */
  reportProgress(message: string, metadata?: Record<string, unknown>): void {
    reportProgress(this, message, metadata);
  }

  // ---------------------------------------------------------------- for sources and other copies

  /** @internal A source fired. */
  [kFire](init: CancelationInit, source: CancelationSource): void {
    if (this._cancelError !== undefined || this._phase >= DONE) return;
    cancelScope(this, createCancelationError(init, this), source);
  }

  /** @internal For reports from sources. */
  get reportable(): this {
    return this;
  }
  /** @internal Another copy of the library holds this scope open (a child, a worker...). */
  [kHoldProtocol](entry: Hold): (() => void) | undefined {
    return hold(this, entry);
  }

  /** @internal Another copy of the library listens for this scope's cancellation. */
  [kListenProtocol](listener: (error: CancelationError) => void): () => void {
    return listen(this, listener);
  }
}

Object.defineProperty(CancelScope.prototype, kOwnScope, { value: true });
