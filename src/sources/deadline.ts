import type { CancelationInit } from '../core/errors.js';
import { MultiSource, type SourceTarget } from '../core/source.js';
import { checkOptions, describeValue } from '../core/validate.js';
import { arm, disarm, type TimerActivation } from './timer.js';

/** Reads a `Date` or epoch-milliseconds argument. */
export function toEpochMs(name: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number') {
    throw new TypeError(`${name} must be a Date or epoch milliseconds, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(ms)) {
    throw new RangeError(`${name} must be a valid Date or finite epoch milliseconds, got ${describeValue(value)}`);
  }
  return ms;
}

function deadlineInit(activation: TimerActivation): CancelationInit {
  const deadline = (activation.source as DeadlineSource).deadline;
  return {
    reason: 'timeout',
    message: `Deadline ${new Date(deadline).toISOString()} reached`,
    timeoutMs: Math.max(0, activation.delay),
  };
}

/**
 * Cancels the scope at an absolute time, with a {@link TimeoutCancelation} whose `timeoutMs` is the
 * time from the start of the run to the deadline. A deadline already past cancels at start.
 *
 * @example
 * ```ts
 * const end = new Date(Date.now() + 60_000);
 * await new Cancelable({ sources: [new DeadlineSource(end)] }).run(job);
 * ```
 */
export class DeadlineSource extends MultiSource {
  /** The deadline, epoch milliseconds. */
  readonly deadline: number;

  constructor(deadline: Date | number, options?: { name?: string }) {
    const at = toEpochMs('deadline', deadline);
    checkOptions('options', options);
    super({ reason: 'timeout', name: options?.name ?? `deadline(${new Date(at).toISOString()})` });
    this.deadline = at;
  }

  protected activate(target: SourceTarget): TimerActivation | undefined {
    return arm(target, this, this.deadline - target.clock.now(), deadlineInit);
  }

  protected deactivate(state: unknown): void {
    disarm(state as TimerActivation | undefined);
  }
}
