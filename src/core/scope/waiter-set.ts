/**
 * The waiter set of a scope: its library awaits, told of the cancellation in the order they began.
 * Most scopes that wait at all have one wait at a time (a body awaiting one `sleep` or `race`), and a
 * `Set` costs ~150 bytes even for one entry: the first entry is kept inline (a 24-byte object), and a
 * `Set` is made only for the waits beyond it. Cancelling 100,000 sleeping children allocates no set.
 */
import type { CancelationError } from '../errors.js';

/** An entry of a scope's waiter set: told of the cancellation, once, synchronously. */
export interface Waiter {
  cancelled(error: CancelationError): void;
  /** The scope ended without a cancellation while this still waited (the set is being dropped). */
  ended?(): void;
}

/** @internal The waiters of one scope: the oldest inline, the others in a `Set` made on demand. */
export class WaiterSet {
  /** @internal The oldest waiter. */ _first: Waiter | undefined = undefined;
  /** @internal The others, in order; made for the second concurrent waiter. */ _rest: Set<Waiter> | undefined = undefined;

  /** How many waits are registered. */
  get size(): number {
    return (this._first === undefined ? 0 : 1) + (this._rest === undefined ? 0 : this._rest.size);
  }

  add(waiter: Waiter): void {
    // Inline only while it keeps the order: once others wait in the set, newer ones join them.
    if (this._first === undefined && (this._rest === undefined || this._rest.size === 0)) this._first = waiter;
    else (this._rest ??= new Set()).add(waiter);
  }

  delete(waiter: Waiter): boolean {
    if (this._first === waiter) {
      this._first = undefined;
      return true;
    }
    return this._rest !== undefined && this._rest.delete(waiter);
  }

  /**
   * Tells each waiter of the cancellation, oldest first. A waiter deleted by an earlier one is not
   * told (as with a `Set`). Unlike a `Set`, a waiter added during the delivery may be missed: the
   * callers detach the set from its scope before they call this, so nothing can be added to it.
   */
  cancelled(error: CancelationError): void {
    this._first?.cancelled(error);
    if (this._rest !== undefined) for (const waiter of this._rest) waiter.cancelled(error);
  }

  /** Tells each waiter that the scope ended without a cancellation (the set is being dropped). */
  ended(): void {
    this._first?.ended?.();
    if (this._rest !== undefined) for (const waiter of this._rest) waiter.ended?.();
  }
}
