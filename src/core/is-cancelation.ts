/**
 * Recognising a cancellation: the predicates, apart from the error classes so that an app importing
 * only `isCancelation` bundles a few hundred bytes (SPEC §9), not the class hierarchy.
 */
import type { CancelationError } from './errors.js';

/** @internal The brand on `CancelationError.prototype`, shared by every copy of the library. */
export const cancelationBrand: unique symbol = Symbol.for('cancelable.CancelationError') as never;

/** Whether `value` is one of this library's cancellation errors (from any copy of the library). */
export function isCancelationError(value: unknown): value is CancelationError {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return cancelationBrand in value;
  } catch {
    return false; // anything can be thrown, a proxy whose traps throw included: never fail on it
  }
}

function isNativeAbort(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const name = (value as { name?: unknown }).name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The `cause` of a thrown value, or undefined when reading it throws (a getter, a proxy). */
function causeOf(value: object): unknown {
  try {
    return (value as { cause?: unknown }).cause;
  } catch {
    return undefined;
  }
}

/**
 * Whether `error` means "cancelled": one of this library's errors, a native `AbortError` or
 * `TimeoutError` (DOMException or Node's `AbortError`), or an error whose `cause` chain holds one.
 * Node wraps `signal.reason` in an `AbortError` in timers and streams, so the chain is followed.
 *
 * @example
 * ```ts
 * try { await fetch(url, { signal: scope.signal }); } catch (e) { if (!isCancelation(e)) throw e; }
 * ```
 */
export function isCancelation(error: unknown): boolean {
  let current = error;
  // Bounded walk: cause chains can be cyclic.
  for (let depth = 0; depth < 32 && current !== undefined && current !== null; depth++) {
    if (isCancelationError(current)) return true;
    if (typeof current !== 'object') return false;
    try {
      if (isNativeAbort(current)) return true;
    } catch {
      return false;
    }
    current = causeOf(current);
  }
  return false;
}

/** Whether `error` is `target` or holds it somewhere in its `cause` chain. */
export function causeChainIncludes(error: unknown, target: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 32 && current !== undefined && current !== null; depth++) {
    if (current === target) return true;
    if (typeof current !== 'object') return false;
    current = causeOf(current);
  }
  return false;
}
