import type { CancelationInit } from '../errors.js';
import { MultiSource, unnamedTimeoutInit, type SourceTarget } from '../source.js';
import { checkDuration, checkKnownKeys } from '../validate.js';
import { arm, disarm, type TimerActivation } from './timer-activation.js';

const sourceOptionKeys: ReadonlySet<string> = new Set(['name']);

function timeoutInit(activation: TimerActivation): CancelationInit {
  const timeoutMs = (activation.source as TimeoutSource).timeoutMs;
  return { reason: 'timeout', message: `Operation timed out after ${timeoutMs}ms`, timeoutMs };
}

/**
 * Cancels the scope `timeoutMs` milliseconds after the scope starts (not after construction), with a
 * `TimeoutCancelation`. `0` cancels at start. Any finite duration works, beyond 2³¹ ms too. With
 * several timeouts the earliest wins.
 *
 * @example
 * ```ts
 * await new Cancelable({ sources: [new TimeoutSource(2_000)] }).run((scope) => work(scope.signal));
 * ```
 */
export class TimeoutSource extends MultiSource {
  /** The timeout in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { name?: string }) {
    checkDuration('timeoutMs', timeoutMs);
    checkKnownKeys('options', options, sourceOptionKeys);
    super(options?.name === undefined ? unnamedTimeoutInit : { reason: 'timeout', name: options.name });
    this.timeoutMs = timeoutMs;
  }

  protected override defaultName(): string {
    return `timeout(${this.timeoutMs}ms)`;
  }

  protected activate(target: SourceTarget): TimerActivation | undefined {
    return arm(target, this, this.timeoutMs, timeoutInit);
  }

  protected deactivate(state: unknown): void {
    disarm(state as TimerActivation | undefined);
  }
}
