import { clearLongTimeout, setLongTimeout, type Clock, type TimerHandle } from '../core/clock.js';
import type { CancelationError } from '../core/errors.js';
import { onCancellation, type CancelScope as Cancelable } from '../core/index.js';

/** @internal One step of a timed sequence: wait `delayMs` on the clock, then emit `value`. */
export interface TimedStep<T> {
  readonly delayMs: number;
  readonly value: T;
}

/** @internal */
export interface TimedIteratorOptions<T> {
  readonly clock: Clock;
  readonly scope?: Cancelable | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with each value as it is emitted (may throw: the `next()` call then rejects). */
  readonly onEmit?: ((value: T) => void) | undefined;
}

interface Wait {
  handle: TimerHandle;
  resolve: (emitted: boolean) => void;
  cleanup: () => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * @internal The engine of the testing streams: an async iterator that plays a lazily produced sequence
 * of (delay, value) steps on a {@link Clock}. Unlike an async generator, `return()` works while a
 * `next()` is pending (it clears the delay and resolves that `next()` as done), and cancellation of
 * `scope` (or abort of `signal`) rejects a pending delay at once. No timer or listener survives a step.
 */
export class TimedIterator<T> implements AsyncIterableIterator<T> {
  readonly #steps: Iterator<TimedStep<T>>;
  readonly #clock: Clock;
  readonly #scope: Cancelable | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onEmit: ((value: T) => void) | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #wait: Wait | undefined;
  #closed = false;
  #yielded = 0;
  #returnCalls = 0;

  constructor(steps: Iterable<TimedStep<T>>, options: TimedIteratorOptions<T>) {
    this.#steps = steps[Symbol.iterator]();
    this.#clock = options.clock;
    this.#scope = options.scope;
    this.#signal = options.signal;
    this.#onEmit = options.onEmit;
  }

  /** How many items were emitted so far. */
  get yielded(): number {
    return this.#yielded;
  }

  /** Whether the stream is closed (ended, returned, thrown into, or cancelled). */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many times `return()` was called (consumers must call it when they stop early). */
  get returnCalls(): number {
    return this.#returnCalls;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    // One pull at a time: concurrent next() calls are served in order.
    const result = this.#tail.then(() => this.#pull());
    this.#tail = result.then(noop, noop);
    return result;
  }

  /** Closes the stream: a pending `next()` resolves as done at once; later ones too. */
  return(value?: unknown): Promise<IteratorResult<T>> {
    this.#returnCalls++;
    this.#close();
    return Promise.resolve({ done: true, value } as IteratorResult<T>);
  }

  /** Closes the stream and rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#close();
    return Promise.reject(error);
  }

  async #pull(): Promise<IteratorResult<T>> {
    if (this.#closed) return DONE;
    this.#throwIfCancelled();
    const step = this.#steps.next();
    if (step.done === true) {
      this.#close();
      return DONE;
    }
    const { delayMs, value } = step.value;
    if (delayMs > 0) {
      if (!(await this.#sleep(delayMs))) return DONE;
    } else {
      await Promise.resolve();
      if (this.#closed) return DONE;
      this.#throwIfCancelled();
    }
    this.#yielded++;
    if (this.#onEmit !== undefined) {
      try {
        this.#onEmit(value);
      } catch (error) {
        this.#close();
        throw error;
      }
    }
    return { done: false, value };
  }

  #throwIfCancelled(): void {
    const scope = this.#scope;
    if (scope?.isCancelled === true) {
      this.#close();
      throw scope.cancelError as CancelationError;
    }
    const signal = this.#signal;
    if (signal?.aborted === true) {
      this.#close();
      throw signal.reason;
    }
  }

  /** Resolves `true` after `ms`, `false` if closed meanwhile; rejects at once on cancellation. */
  #sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const clock = this.#clock;
      let offScope: (() => void) | undefined;
      let onAbort: (() => void) | undefined;
      const wait: Wait = {
        handle: undefined,
        resolve,
        cleanup: () => {
          this.#wait = undefined;
          clearLongTimeout(clock, wait.handle);
          offScope?.();
          if (onAbort !== undefined) this.#signal?.removeEventListener('abort', onAbort);
        },
      };
      const fail = (error: unknown): void => {
        wait.cleanup();
        this.#close();
        reject(error);
      };
      this.#wait = wait;
      wait.handle = setLongTimeout(
        clock,
        () => {
          wait.handle = undefined;
          wait.cleanup();
          resolve(true);
        },
        ms,
        undefined,
      );
      if (this.#scope !== undefined) offScope = onCancellation(this.#scope, fail);
      const signal = this.#signal;
      if (signal !== undefined && this.#wait === wait) {
        onAbort = () => fail(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const wait = this.#wait;
    if (wait !== undefined) {
      wait.cleanup();
      wait.resolve(false);
    }
    try {
      this.#steps.return?.();
    } catch {
      // The step source is ours (a plain generator): nothing to report.
    }
  }
}

function noop(): void {}
