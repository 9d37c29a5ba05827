/**
 * One armed timer of a timeout-like source (a timeout, a deadline): fires its target once, with fields
 * built only when it fires. Any duration works (long ones are stepped by `setLongTimeout`).
 */
import { clearLongTimeout, setLongTimeout, type TimerHandle } from '../clock.js';
import type { CancelationInit } from '../errors.js';
import { isOwnScope } from '../scope/brand.js';
import { kFire, type CancelationSource, type SourceTarget } from '../source.js';

/** @internal One armed timer. */
export interface TimerActivation {
  readonly target: SourceTarget;
  readonly source: CancelationSource;
  /** Builds the error fields when the timer fires (a shared function: no closure per activation). */
  readonly init: (activation: TimerActivation) => CancelationInit;
  /** The delay asked for, in ms (<= 0: fired at once). */
  readonly delay: number;
  handle: TimerHandle;
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
  const activation: TimerActivation = { target, source, init, delay, handle: undefined };
  if (delay <= 0) {
    target[kFire](init(activation), source);
    return undefined;
  }
  // A scope's timeout counts from the start its run already read (one clock read saved per run).
  const start = isOwnScope(target) ? (target as unknown as { _startMono: number })._startMono : undefined;
  activation.handle = setLongTimeout(target.clock, onTimer, delay, activation, start);
  return activation;
}

function onTimer(activation: TimerActivation): void {
  activation.handle = undefined;
  activation.target[kFire](activation.init(activation), activation.source);
}

/** Clears a timer armed by {@link arm}. */
export function disarm(activation: TimerActivation | undefined): void {
  if (activation === undefined || activation.handle === undefined) return;
  clearLongTimeout(activation.target.clock, activation.handle);
  activation.handle = undefined;
}
