import type { CancelationInit } from '../errors.js';
import { MultiSource, unnamedTimeoutInit, type SourceTarget } from '../source.js';
import { checkKnownKeys, checkTime } from '../validate.js';
import { arm, disarm, type TimerActivation } from './timer-activation.js';

const sourceOptionKeys: ReadonlySet<string> = new Set(['name']);

function deadlineInit(activation: TimerActivation): CancelationInit {
  const deadline = (activation.source as DeadlineSource).deadline;
  return {
    reason: 'timeout',
    message: `Deadline ${new Date(deadline).toISOString()} reached`,
    timeoutMs: Math.max(0, activation.delay),
  };
}

/**
 * Cancels the scope at an absolute time (a `Date` or epoch milliseconds, anywhere in the range of
 * `Date`), with a `TimeoutCancelation` whose `timeoutMs` is the time from the start of the run to the
 * deadline. A deadline already past cancels at start.
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
    const at = checkTime('deadline', deadline);
    checkKnownKeys('options', options, sourceOptionKeys);
    super(options?.name === undefined ? unnamedTimeoutInit : { reason: 'timeout', name: options.name });
    this.deadline = at;
  }

  protected override defaultName(): string {
    return `deadline(${new Date(this.deadline).toISOString()})`;
  }

  protected activate(target: SourceTarget): TimerActivation | undefined {
    return arm(target, this, this.deadline - target.clock.now(), deadlineInit);
  }

  protected deactivate(state: unknown): void {
    disarm(state as TimerActivation | undefined);
  }
}
