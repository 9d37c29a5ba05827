import { nextId } from './ids.js';
import { noop } from './promise.js';
import { reportCallbackError } from './diagnostics.js';
import { createCancelationError, type CancelationError } from './errors.js';
import { CancelationReason, isCancelationReason, reasonList } from './reasons.js';
import { unlimitedListeners } from './platform.js';
import { describeValue } from './validate.js';

/** What `cancel()` takes: a message, or a reason and a message. */
export type CancelArgument = string | { reason?: CancelationReason; message?: string } | undefined;

/** A callback run when a token is cancelled; async callbacks are awaited by `cancel()`. */
export type CancelCallback = (error: CancelationError) => void | Promise<void>;

/** @internal Normalises a {@link CancelArgument}; throws on bad input. */
export function parseCancelArgument(
  argument: CancelArgument,
  name = 'message',
): { reason: CancelationReason; message: string | undefined } {
  if (argument === undefined) return { reason: CancelationReason.Manual, message: undefined };
  if (typeof argument === 'string') return { reason: CancelationReason.Manual, message: argument };
  if (argument === null || typeof argument !== 'object') {
    throw new TypeError(`${name} must be a string or { reason?, message? }, got ${describeValue(argument)}`);
  }
  const { reason = CancelationReason.Manual, message } = argument;
  if (!isCancelationReason(reason)) {
    throw new TypeError(`${name}.reason must be one of ${reasonList}; got ${describeValue(reason)}`);
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new TypeError(`${name}.message must be a string, got ${describeValue(message)}`);
  }
  return { reason, message };
}

/**
 * A cancellation flag that can be passed around: cancel it from a button handler, an HTTP endpoint or
 * another task, and every scope listening to it is cancelled. One token may drive many scopes; a
 * scope never cancels the tokens it listens to.
 *
 * `cancel()` returns after the token's async callbacks ran; `cancelSync()` returns at once (async
 * callbacks run on; their failures are reported through diagnostics). The first cancel wins: its
 * reason and message are kept, later calls return `false`.
 *
 * @example
 * ```ts
 * const token = new CancelationToken();
 * button.on('click', () => token.cancel('User clicked cancel'));
 * await Cancelable.withToken(token).run((scope) => job(scope.signal));
 * ```
 */
export class CancelationToken {
  #id: string | undefined;
  #reason: CancelationReason | undefined;
  #message: string | undefined;
  #cancelledAt: number | undefined;
  #error: CancelationError | undefined;
  #listeners: Set<CancelCallback> | undefined;
  #controller: AbortController | undefined;
  #waiter: Promise<CancelationError> | undefined;
  #resolveWaiter: ((error: CancelationError) => void) | undefined;

  /** A unique id (a random UUID, created on first read). */
  get id(): string {
    return (this.#id ??= nextId());
  }

  /** Whether the token has been cancelled. */
  get isCancelled(): boolean {
    return this.readState() !== undefined;
  }

  /** The first cancel's reason, once cancelled. */
  get reason(): CancelationReason | undefined {
    return this.readState()?.reason;
  }

  /** The first cancel's message, once cancelled. */
  get message(): string | undefined {
    return this.readState()?.message;
  }

  /** When the token was cancelled (epoch milliseconds). */
  get cancelledAt(): number | undefined {
    return this.readState()?.cancelledAt;
  }

  /** The token's cancellation error (also `signal.reason`), once cancelled. */
  get error(): CancelationError | undefined {
    if (this.#error !== undefined) return this.#error;
    const state = this.readState();
    if (state === undefined) return undefined;
    return (this.#error = createCancelationError({ reason: state.reason, message: state.message }));
  }

  /** An AbortSignal aborted (with {@link CancelationToken.error}) when the token is cancelled. Created lazily. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      unlimitedListeners(this.#controller.signal);
      const error = this.error;
      if (error !== undefined) this.#controller.abort(error);
    }
    return this.#controller.signal;
  }

  /**
   * What the token's getters read: the first cancel's reason, message and time, or `undefined` while
   * it is not cancelled. A pure read (getters never run callbacks); a token whose state lives
   * elsewhere (shared memory) overrides it.
   */
  protected readState(): { reason: CancelationReason; message: string | undefined; cancelledAt: number } | undefined {
    const reason = this.#reason;
    return reason === undefined ? undefined : { reason, message: this.#message, cancelledAt: this.#cancelledAt as number };
  }

  /**
   * Cancels the token. Resolves to `true` if this call cancelled it, `false` if it already was,
   * after every callback (async ones included) has run.
   */
  cancel(argument?: CancelArgument): Promise<boolean> {
    // Bad input throws here, at the call (not as a rejection).
    const { reason, message } = parseCancelArgument(argument);
    if (!this.commitCancel(reason, message)) return Promise.resolve(false);
    const pending = this.deliver(reason, message, Date.now());
    return pending === undefined ? Promise.resolve(true) : Promise.all(pending).then(() => true);
  }

  /** Cancels the token synchronously; returns `true` if this call cancelled it. */
  cancelSync(argument?: CancelArgument): boolean {
    const { reason, message } = parseCancelArgument(argument);
    if (!this.commitCancel(reason, message)) return false;
    // Async callbacks run on; their failures are already reported by runCallback.
    void this.deliver(reason, message, Date.now());
    return true;
  }

  /** Resolves with the cancellation error once the token is cancelled (one shared promise). */
  waitForCancel(): Promise<CancelationError> {
    if (this.#waiter === undefined) {
      const error = this.#reason !== undefined ? this.#error ?? this.error : undefined;
      this.#waiter =
        error !== undefined
          ? Promise.resolve(error)
          : new Promise<CancelationError>((resolve) => {
              this.#resolveWaiter = resolve;
            });
    }
    return this.#waiter;
  }

  /** Throws the cancellation error if the token is cancelled. */
  throwIfCancelled(): void {
    const error = this.isCancelled ? this.error : undefined;
    if (error !== undefined) throw error;
  }

  /**
   * Runs `callback(error)` when the token is cancelled (at once if it already is). Returns a function
   * that unsubscribes. A callback that throws is reported and never stops the others.
   */
  onCancel(callback: CancelCallback): () => void {
    if (typeof callback !== 'function') {
      throw new TypeError(`callback must be a function, got ${describeValue(callback)}`);
    }
    if (this.#reason !== undefined) {
      void runCallback(callback, this.error as CancelationError);
      return noop;
    }
    (this.#listeners ??= new Set()).add(callback);
    return () => {
      this.#listeners?.delete(callback);
    };
  }

  /**
   * Records the first cancel. Returns whether this call won. Subclasses that share the flag across
   * threads override it with an atomic compare-and-set.
   */
  protected commitCancel(_reason: CancelationReason, _message: string | undefined): boolean {
    return this.#reason === undefined;
  }

  /**
   * Applies a cancellation to this object: stores its state, aborts the signal, runs the callbacks.
   * Returns the promises of async callbacks. Does nothing if already applied.
   */
  protected deliver(
    reason: CancelationReason,
    message: string | undefined,
    cancelledAt: number,
  ): Promise<void>[] | undefined {
    if (this.#reason !== undefined) return undefined;
    this.#reason = reason;
    this.#message = message;
    this.#cancelledAt = cancelledAt;
    const error = (this.#error ??= createCancelationError({ reason, message }));
    this.#controller?.abort(error);
    const resolve = this.#resolveWaiter;
    this.#resolveWaiter = undefined;
    resolve?.(error);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return undefined;
    let pending: Promise<void>[] | undefined;
    for (const callback of listeners) {
      const result = runCallback(callback, error);
      if (result !== undefined) (pending ??= []).push(result);
    }
    return pending;
  }

  /** Number of callbacks waiting for the cancel (for leak checks). */
  get listenerCount(): number {
    return this.#listeners?.size ?? 0;
  }
}

/** Calls a callback, reporting (never throwing) its failure; returns a settled-safe promise if async. */
function runCallback(callback: CancelCallback, error: CancelationError): Promise<void> | undefined {
  try {
    const result = callback(error);
    if (result !== undefined && typeof result.then === 'function') {
      return Promise.resolve(result).then(undefined, (failure: unknown) => {
        reportCallbackError(undefined, 'token.onCancel', failure);
      });
    }
  } catch (failure) {
    reportCallbackError(undefined, 'token.onCancel', failure);
  }
  return undefined;
}
