import { getDefaultClock, type Clock } from './clock.js';
import { reportSourceError, type Reportable } from './diagnostics.js';
import type { CancelationInit } from './errors.js';
import { CancelationReason, isCancelationReason, reasonList } from './reasons.js';
import { parseCancelArgument, type CancelArgument } from './token.js';
import { isThenable } from './promise.js';
import type { CancelScope } from './scope/cancel-scope.js';
import { checkOptions, describeValue } from './validate.js';

/** @internal Starts one activation of a source for a target; returns state handed back to deactivate. */
export const kActivate = Symbol('cancelable.activate');
/** @internal Ends an activation started by kActivate. */
export const kDeactivate = Symbol('cancelable.deactivate');
/** @internal The method of a {@link SourceTarget} that cancels it. */
export const kFire = Symbol('cancelable.fire');

/**
 * @internal What a source fires into: a scope, or a composite source (any-of / all-of). `fire` is
 * called at most meaningfully once; later calls are ignored by the target.
 */
export interface SourceTarget {
  /** The clock the target runs on: sources use it for every timer. */
  readonly clock: Clock;
  /** The scope the source ultimately serves, for error reports. */
  readonly reportable: Reportable | undefined;
  /** Cancels the target (ignored once it is cancelled or ended). */
  [kFire](init: CancelationInit, source: CancelationSource): void;
}

/** Options of {@link CancelationSource}. */
export interface CancelationSourceOptions {
  /** The reason given to the scope when the source fires. Default `manual`. */
  reason?: CancelationReason;
  /** A name for reports. Default: the class name. */
  name?: string;
}

/**
 * What a custom source's `trigger` takes: a message (the source's own reason), or a reason and a
 * message, for sources that relay a cancellation decided elsewhere (another process, machine or
 * service) with the reason it was given there.
 */
export type TriggerArgument = CancelArgument;

/**
 * @internal The options of the library's unnamed timeout and deadline sources: one frozen record,
 * trusted by the constructor (a timeout source is built on every `withTimeout()` call).
 */
export const unnamedTimeoutInit: CancelationSourceOptions = Object.freeze({ reason: CancelationReason.Timeout });

/**
 * Something that can cancel a scope: a timeout, a token, an OS signal, a condition... Subclass it to
 * write your own: implement {@link CancelationSource.start} (take what you need, call `trigger` when
 * the scope must be cancelled) and {@link CancelationSource.stop} (idempotent; release everything
 * `start` took). `trigger(message)` cancels with the source's reason; `trigger({ reason, message })`
 * with the one given.
 *
 * A custom source serves one scope at a time; the built-in sources can serve many at once.
 *
 * @example
 * ```ts
 * class EventSource extends CancelationSource {
 *   #off?: () => void;
 *   constructor(private emitter: EventEmitter, private event: string) { super({ name: `event:${event}` }); }
 *   start(trigger: (message?: string) => void) {
 *     const listener = () => trigger(`Event '${this.event}' fired`);
 *     this.emitter.once(this.event, listener);
 *     this.#off = () => this.emitter.off(this.event, listener);
 *   }
 *   stop() { this.#off?.(); this.#off = undefined; }
 * }
 * ```
 */
export abstract class CancelationSource {
  /** The reason a scope gets when this source fires. */
  readonly reason: CancelationReason;
  #name: string | undefined;
  #target: SourceTarget | undefined;
  #trigger: ((argument?: TriggerArgument) => void) | undefined;

  constructor(options?: CancelationSourceOptions) {
    if (options === unnamedTimeoutInit) {
      this.reason = CancelationReason.Timeout;
      return;
    }
    checkOptions('options', options);
    const reason = options?.reason === undefined ? CancelationReason.Manual : options.reason;
    if (!isCancelationReason(reason)) {
      throw new TypeError(`options.reason must be one of ${reasonList}; got ${describeValue(reason)}`);
    }
    if (options?.name !== undefined && typeof options.name !== 'string') {
      throw new TypeError(`options.name must be a string, got ${describeValue(options.name)}`);
    }
    this.reason = reason;
    this.#name = options?.name;
  }

  /** A name for reports (built on first read: sources are created on hot paths). */
  get name(): string {
    return (this.#name ??= this.defaultName());
  }

  /** The name used when none was given. Default: the class name. */
  protected defaultName(): string {
    return this.constructor.name;
  }

  /**
   * Begins watching. Call `trigger(message?)` to cancel the scope with this source's reason (or
   * `trigger({ reason, message })` with another). `scope` is the scope the source serves (also when
   * it sits inside an any-of / all-of source; `undefined` when started on its own). May be called
   * again after {@link CancelationSource.stop}.
   */
  abstract start(trigger: (argument?: TriggerArgument) => void, scope?: CancelScope): void;

  /** Stops watching and releases everything `start` took. Must be idempotent. */
  abstract stop(): void;

  /** Whether this source is currently started by a scope. */
  get isActive(): boolean {
    return this.#target !== undefined;
  }

  /** @internal */
  [kActivate](target: SourceTarget): unknown {
    if (this.#target !== undefined) {
      throw new TypeError(
        `source '${this.name}' is already in use by another scope; a custom source serves one scope at a time`,
      );
    }
    this.#target = target;
    const trigger = (argument?: TriggerArgument): void => {
      if (this.#target === target) target[kFire](this.#triggerInit(target, argument), this);
    };
    this.#trigger = trigger;
    try {
      const started: unknown = this.start(trigger, target.reportable as CancelScope | undefined);
      // An `async start()` that rejects: the scope runs on; the failure is reported, never unhandled.
      if (isThenable(started)) started.then(undefined, (error: unknown) => reportSourceError(target.reportable, this, 'start', error));
    } catch (error) {
      // Not started: free the source for other scopes, and release whatever start() took before it threw.
      this[kDeactivate](undefined);
      throw error;
    }
    return undefined;
  }

  /** @internal */
  [kDeactivate](_state: unknown): void {
    const target = this.#target;
    if (target === undefined) return;
    this.#target = undefined;
    this.#trigger = undefined;
    try {
      const stopped: unknown = this.stop();
      if (isThenable(stopped)) stopped.then(undefined, (error: unknown) => reportSourceError(target.reportable, this, 'stop', error));
    } catch (error) {
      reportSourceError(target.reportable, this, 'stop', error);
    }
  }

  /** Cancels the scope this source is started for (a no-op when it is not started). */
  protected trigger(argument?: TriggerArgument): void {
    this.#trigger?.(argument);
  }

  /** The error fields this source fires with; override to add reason-specific ones. */
  protected initFor(message: string | undefined): CancelationInit {
    return { reason: this.reason, message };
  }

  /**
   * What `trigger(argument)` fires with: the source's own fields, unless another valid reason is given.
   * A trigger must cancel whatever it is handed (it often runs in an event handler, where a throw would
   * be uncaught): a malformed argument is reported on `cancelable:source-error` (phase `trigger`) and
   * the source's own reason and message are used.
   */
  #triggerInit(target: SourceTarget, argument: unknown): CancelationInit {
    if (argument === undefined || typeof argument === 'string') return this.initFor(argument);
    try {
      const { reason, message } = parseCancelArgument(argument as CancelArgument, 'trigger argument');
      if ((argument as { reason?: unknown }).reason === undefined || reason === this.reason) return this.initFor(message);
      return { reason, message };
    } catch (error) {
      reportSourceError(target.reportable, this, 'trigger', error);
      return this.initFor(undefined);
    }
  }
}

/**
 * Base for the library's own sources: they keep per-activation state, so one instance can serve
 * several scopes at once (e.g. the same source passed to two scopes, or kept by `combine`).
 * Subclasses implement {@link MultiSource.activate} and {@link MultiSource.deactivate}; `start`/`stop`
 * serve the one activation made through the public custom-source API.
 */
export abstract class MultiSource extends CancelationSource {
  #solo: { target: SourceTarget; state: unknown } | undefined;

  /** @internal Starts serving `target`; returns the state {@link MultiSource.deactivate} needs. */
  protected abstract activate(target: SourceTarget): unknown;
  /** @internal Stops serving the activation described by `state`. */
  protected abstract deactivate(state: unknown): void;

  /** @internal */
  override [kActivate](target: SourceTarget): unknown {
    return this.activate(target);
  }

  /** @internal */
  override [kDeactivate](state: unknown): void {
    this.deactivate(state);
  }

  /** Starts the source outside a scope: `trigger(message)` is called when it fires. */
  start(trigger: (message?: string) => void): void {
    this.stop();
    const target: SourceTarget = {
      clock: getDefaultClock(),
      reportable: undefined,
      [kFire]: (init) => trigger(init.message),
    };
    this.#solo = { target, state: this.activate(target) };
  }

  /** Stops what {@link MultiSource.start} started. */
  stop(): void {
    const solo = this.#solo;
    if (solo === undefined) return;
    this.#solo = undefined;
    this.deactivate(solo.state);
  }

  override get isActive(): boolean {
    return this.#solo !== undefined;
  }
}
