import type { TimerHandle } from '../core/clock.js';
import type { CancelationInit } from '../core/errors.js';
import { kFire, type CancelationSource, type SourceTarget } from '../core/source.js';

/** setTimeout's largest delay; longer ones are armed in steps (Node would fire them after 1 ms). */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** @internal One armed timer of a timeout-like source. */
export interface TimerActivation {
  readonly target: SourceTarget;
  readonly source: CancelationSource;
  /** Builds the error fields when the timer fires (a shared function: no closure per activation). */
  readonly init: (activation: TimerActivation) => CancelationInit;
  /** The delay asked for, in ms (<= 0: fired at once). */
  readonly delay: number;
  handle: TimerHandle;
  remaining: number;
}

/**
 * Arms a timer that fires `target` after `delay` ms (at once, synchronously, when `delay <= 0`).
 * Returns the activation to pass to {@link disarm}, or undefined when it fired at once.
 */
export function arm(
  target: SourceTarget,
  source: CancelationSource,
  delay: number,
  init: (activation: TimerActivation) => CancelationInit,
): TimerActivation | undefined {
  if (delay <= 0) {
    target[kFire](init({ target, source, init, delay, handle: undefined, remaining: 0 }), source);
    return undefined;
  }
  const step = delay > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : delay;
  const activation: TimerActivation = { target, source, init, delay, handle: undefined, remaining: delay - step };
  activation.handle = target.clock.setTimeout(onTimer, step, activation);
  return activation;
}

function onTimer(activation: TimerActivation): void {
  if (activation.remaining > 0) {
    const step = activation.remaining > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : activation.remaining;
    activation.remaining -= step;
    activation.handle = activation.target.clock.setTimeout(onTimer, step, activation);
    return;
  }
  activation.handle = undefined;
  activation.target[kFire](activation.init(activation), activation.source);
}

/** Clears a timer armed by {@link arm}. */
export function disarm(activation: TimerActivation | undefined): void {
  if (activation === undefined || activation.handle === undefined) return;
  activation.target.clock.clearTimeout(activation.handle);
  activation.handle = undefined;
}
