import type { CancelationInit } from '../core/errors.js';
import { MultiSource, type SourceTarget } from '../core/source.js';
import { checkDuration, checkOptions } from '../core/validate.js';
import { arm, disarm, type TimerActivation } from './timer.js';

/**
 * Cancels the scope `timeoutMs` milliseconds after the scope starts (not after construction), with a
 * {@link TimeoutCancelation}. `0` cancels at start. With several timeouts the earliest wins.
 *
 * @example
 * ```ts
 * await new Cancelable({ sources: [new TimeoutSource(2_000)] }).run((scope) => work(scope.signal));
 * ```
 */
export class TimeoutSource extends MultiSource {
  /** The timeout in milliseconds. */
  readonly timeoutMs: number;
  readonly #init: () => CancelationInit;

  constructor(timeoutMs: number, options?: { name?: string }) {
    checkDuration('timeoutMs', timeoutMs);
    checkOptions('options', options);
    super({ reason: 'timeout', name: options?.name ?? `timeout(${timeoutMs}ms)` });
    this.timeoutMs = timeoutMs;
    this.#init = () => ({
      reason: 'timeout',
      message: `Operation timed out after ${timeoutMs}ms`,
      timeoutMs,
    });
  }

  protected activate(target: SourceTarget): TimerActivation | undefined {
    return arm(target, this, this.timeoutMs, this.#init);
  }

  protected deactivate(state: unknown): void {
    disarm(state as TimerActivation | undefined);
  }
}
