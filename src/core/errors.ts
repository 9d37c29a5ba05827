import { CancelationReason, isCancelationReason, reasonList } from './reasons.js';
import { describeValue } from './validate.js';
import { cancelationBrand as brand } from './is-cancelation.js';

// The predicates live in their own module, so that `isCancelation` alone bundles without the classes.
export { causeChainIncludes, isCancelation, isCancelationError } from './is-cancelation.js';

/** What every cancellation error is built from. */
export interface CancelationErrorOptions {
  /** The id of the scope the error cancels. */
  operationId?: string | undefined;
  /**
   * @internal The scope the error cancels, when its id is read only if someone asks: cancelling 100,000
   * children must not mint 100,000 UUIDs.
   */
  operationOf?: { readonly id: string } | undefined;
  /** The error behind this one. */
  cause?: unknown;
}

/**
 * The base class of every cancellation the library raises: a scope's `run()` rejects with one, and
 * its `signal.reason` is the same object.
 *
 * @example
 * ```ts
 * try { await Cancelable.withTimeout(100).run((s) => s.sleep(1000)); }
 * catch (e) { if (e instanceof CancelationError) console.log(e.reason); } // 'timeout'
 * ```
 */
export class CancelationError extends Error {
  /** Why the scope was cancelled. */
  readonly reason: CancelationReason;
  #operationId: string | undefined;
  #operationOf: { readonly id: string } | undefined;

  constructor(reason: CancelationReason, message?: string, options?: CancelationErrorOptions) {
    if (!isCancelationReason(reason)) {
      throw new TypeError(`reason must be one of ${reasonList}; got ${describeValue(reason)}`);
    }
    super(message ?? `Operation cancelled (${reason})`);
    this.reason = reason;
    if (options !== undefined) {
      this.#operationId = options.operationId;
      this.#operationOf = options.operationOf;
      if (options.cause !== undefined) this.cause = options.cause;
    }
  }

  /** The id of the cancelled scope, when the error belongs to one. */
  get operationId(): string | undefined {
    const owner = this.#operationOf;
    if (owner !== undefined) {
      this.#operationOf = undefined;
      this.#operationId ??= owner.id;
    }
    return this.#operationId;
  }

  set operationId(id: string | undefined) {
    this.#operationOf = undefined;
    this.#operationId = id;
  }

  override get name(): string {
    return 'CancelationError';
  }
}

// The brand lives on the prototype (free per instance): `brand in error` recognises errors of every
// copy of the library (ESM and CommonJS builds loaded together), where instanceof alone would not.
Object.defineProperty(CancelationError.prototype, brand, { value: true });

const classBrand = Symbol.for('cancelable.errorClass');

/**
 * Makes `instanceof Class` true for errors of `Class` from any copy of the library: each class's
 * prototype carries a registered symbol of its own, and `Symbol.hasInstance` looks for it. A user's
 * subclass (no brand of its own) keeps the ordinary prototype-chain check.
 */
export function brandErrorClass(Class: abstract new (...args: never[]) => Error, name: string): void {
  const own = Symbol.for(`cancelable.${name}`);
  Object.defineProperty(Class.prototype, own, { value: true });
  Object.defineProperty(Class.prototype, classBrand, { value: own });
}

Object.defineProperty(CancelationError, Symbol.hasInstance, {
  value: function hasInstance(this: { prototype: object }, value: unknown): boolean {
    const own = Object.hasOwn(this.prototype, classBrand) ? ((this.prototype as Record<symbol, unknown>)[classBrand] as symbol) : undefined;
    if (own === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    try {
      return (value as Record<symbol, unknown>)[own] === true;
    } catch {
      return false;
    }
  },
});

/** A timeout or deadline fired. */
export class TimeoutCancelation extends CancelationError {
  /** The timeout, in milliseconds (for a deadline, the time from the start of the run to it). */
  readonly timeoutMs: number | undefined;
  constructor(message?: string, options?: CancelationErrorOptions & { timeoutMs?: number | undefined }) {
    super(CancelationReason.Timeout, message ?? `Operation timed out after ${options?.timeoutMs ?? '?'}ms`, options);
    this.timeoutMs = options?.timeoutMs;
  }
  override get name(): string {
    return 'TimeoutCancelation';
  }
}

/** `cancel()` was called on the scope or on a token it listens to. */
export class ManualCancelation extends CancelationError {
  constructor(message?: string, options?: CancelationErrorOptions) {
    super(CancelationReason.Manual, message ?? 'Operation cancelled manually', options);
  }
  override get name(): string {
    return 'ManualCancelation';
  }
}

/** An OS signal arrived. */
export class SignalCancelation extends CancelationError {
  /** The signal's name, e.g. `'SIGINT'`. */
  readonly signal: string | undefined;
  constructor(message?: string, options?: CancelationErrorOptions & { signal?: string | undefined }) {
    super(CancelationReason.Signal, message ?? `Received signal ${options?.signal ?? '?'}`, options);
    this.signal = options?.signal;
  }
  override get name(): string {
    return 'SignalCancelation';
  }
}

/** A polled condition was met. */
export class ConditionCancelation extends CancelationError {
  /** The condition's name. */
  readonly conditionName: string | undefined;
  constructor(message?: string, options?: CancelationErrorOptions & { conditionName?: string | undefined }) {
    super(CancelationReason.Condition, message ?? `Condition '${options?.conditionName ?? 'condition'}' met`, options);
    this.conditionName = options?.conditionName;
  }
  override get name(): string {
    return 'ConditionCancelation';
  }
}

/**
 * An enclosing scope was cancelled (or ended while this one still ran). `cause` is the parent's error,
 * so the `cause` chain leads to the root's error.
 */
export class ParentCancelation extends CancelationError {
  /** The id of the immediate parent. */
  readonly parentId: string | undefined;
  /** The immediate parent's reason (undefined when the parent ended without being cancelled). */
  readonly parentReason: CancelationReason | undefined;
  constructor(
    message?: string,
    options?: CancelationErrorOptions & { parentId?: string | undefined; parentReason?: CancelationReason | undefined },
  ) {
    super(CancelationReason.Parent, message ?? 'Parent operation was cancelled', options);
    this.parentId = options?.parentId;
    this.parentReason = options?.parentReason;
  }
  override get name(): string {
    return 'ParentCancelation';
  }
}

/**
 * The HTTP client went away before the response ended (the connection closed, or the request body was
 * cut). Not an error of the server: nothing is written back, and it is logged as 499.
 */
export class DisconnectCancelation extends CancelationError {
  constructor(message?: string, options?: CancelationErrorOptions) {
    super(CancelationReason.Disconnect, message ?? 'The client disconnected', options);
  }
  override get name(): string {
    return 'DisconnectCancelation';
  }
}

brandErrorClass(CancelationError, 'CancelationError');
brandErrorClass(TimeoutCancelation, 'TimeoutCancelation');
brandErrorClass(ManualCancelation, 'ManualCancelation');
brandErrorClass(SignalCancelation, 'SignalCancelation');
brandErrorClass(ConditionCancelation, 'ConditionCancelation');
brandErrorClass(ParentCancelation, 'ParentCancelation');
brandErrorClass(DisconnectCancelation, 'DisconnectCancelation');

/**
 * Everything needed to build a cancellation error: what sources hand to a scope when they fire.
 * Reason-specific fields are read only for their reason.
 */
export interface CancelationInit {
  reason: CancelationReason;
  message?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: string | undefined;
  conditionName?: string | undefined;
  parentId?: string | undefined;
  parentReason?: CancelationReason | undefined;
  cause?: unknown;
}

/**
 * Builds the error class that matches `init.reason`. `operation` is the id of the scope it cancels, or
 * the scope itself (its id is read when someone asks for `operationId`).
 */
export function createCancelationError(
  init: CancelationInit,
  operation?: string | { readonly id: string },
): CancelationError {
  const options: CancelationErrorOptions =
    typeof operation === 'string' ? { operationId: operation, cause: init.cause } : { operationOf: operation, cause: init.cause };
  switch (init.reason) {
    case 'timeout':
      return new TimeoutCancelation(init.message, { ...options, timeoutMs: init.timeoutMs });
    case 'signal':
      return new SignalCancelation(init.message, { ...options, signal: init.signal });
    case 'condition':
      return new ConditionCancelation(init.message, { ...options, conditionName: init.conditionName });
    case 'parent':
      return new ParentCancelation(init.message, {
        ...options,
        parentId: init.parentId,
        parentReason: init.parentReason,
      });
    case 'disconnect':
      return new DisconnectCancelation(init.message, options);
    default:
      return new ManualCancelation(init.message, options);
  }
}
