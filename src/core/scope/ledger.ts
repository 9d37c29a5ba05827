/**
 * The one cleanup ledger of a scope: everything the scope must wait for before it settles. Child
 * scopes of this copy of the library (the child itself is the entry), shields (children on a shielded
 * edge: never stopped, and the grace period waits for them), and holds: workers, child processes,
 * children from another copy of the library, outcome hooks. When the scope ends it drains the ledger,
 * last entry first: running children are cancelled, holds are asked to stop, and the scope settles
 * once every entry is released.
 */
import type { CancelationError } from '../errors.js';
import type { OperationStatus } from '../reasons.js';
import type { CancelScope } from './cancel-scope.js';
import { DONE } from './phases.js';
import { cancelScope, parentError } from './tree.js';

/** How a run ended, as holds see it when the scope drains: the final status and the value or error. */
export interface RunOutcome {
  readonly status: OperationStatus;
  /** `run()` resolves (`true`) or rejects (`false`) with `value`. */
  readonly ok: boolean;
  readonly value: unknown;
}

/**
 * Something a scope waits for before it settles (besides its own child scopes). Workers, child
 * processes and other copies of the library implement it; the object is the identity of the hold.
 */
export interface Hold {
  /** The scope was cancelled (called in propagation order, after the whole subtree is marked). */
  cancelled?(error: CancelationError): void;
  /**
   * The scope is ending while this is held: stop now, and release the hold once really done. `error`
   * is the scope's cancellation error, or undefined when it ends without one; `outcome` is how the
   * run ended (an outcome hook sends it somewhere before the scope settles).
   */
  stop?(error: CancelationError | undefined, outcome: RunOutcome): void;
}

/** @internal A scope's ledger, allocated with its first entry. */
export class Ledger {
  children: Set<CancelScope> | undefined = undefined;
  holds: Set<Hold> | undefined = undefined;
  /** Children on a shielded edge still running. */
  shields = 0;
  /** Set while the scope drains: called (once) when the last entry is released. */
  drained: (() => void) | undefined = undefined;
  /** How the run ended, while draining. */
  outcome: RunOutcome | undefined = undefined;
  get draining(): boolean {
    return this.outcome !== undefined;
  }

  get size(): number {
    return (this.children?.size ?? 0) + (this.holds?.size ?? 0);
  }
}

function ledgerOf(scope: CancelScope): Ledger {
  return (scope._ledger ??= new Ledger());
}

/** Adds a child scope (at its start). A child that starts while the parent drains is stopped at once. */
export function addChild(parent: CancelScope, child: CancelScope): void {
  const ledger = ledgerOf(parent);
  (ledger.children ??= new Set()).add(child);
  if (child._shielded) ledger.shields++;
  else if (ledger.draining) stopChild(parent, child);
}

/** Removes a child scope (at its end). */
export function removeChild(parent: CancelScope, child: CancelScope): void {
  const ledger = parent._ledger;
  if (ledger?.children?.delete(child) !== true) return;
  if (child._shielded && --ledger.shields === 0) parent._run?.shieldsEnded();
  released(ledger);
}

/**
 * Holds `scope` open until the returned release function is called: the scope settles only after
 * it. `undefined` when the scope has ended (nothing may be started for it any more). A hold added
 * while the scope drains is asked to stop at once.
 */
export function hold(scope: CancelScope, entry: Hold): (() => void) | undefined {
  if (scope._phase >= DONE) return undefined;
  const ledger = ledgerOf(scope);
  (ledger.holds ??= new Set()).add(entry);
  if (ledger.outcome !== undefined) entry.stop?.(scope._cancelError, ledger.outcome);
  return () => {
    if (ledger.holds?.delete(entry) === true) released(ledger);
  };
}

/**
 * Ends everything still in the ledger, last first (children are cancelled, holds asked to stop), and
 * calls `then` once every entry is released (at once when there is none). Shields are waited for,
 * never stopped.
 */
export function drain(scope: CancelScope, outcome: RunOutcome, then: () => void): void {
  const ledger = scope._ledger;
  if (ledger === undefined || ledger.size === 0) {
    then();
    return;
  }
  ledger.outcome = outcome;
  ledger.drained = then;
  const entries: (CancelScope | Hold)[] = [...(ledger.children ?? []), ...(ledger.holds ?? [])];
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as CancelScope | Hold;
    if (ledger.children?.has(entry as CancelScope) === true) stopChild(scope, entry as CancelScope);
    else (entry as Hold).stop?.(scope._cancelError, outcome);
  }
  released(ledger);
}

function stopChild(parent: CancelScope, child: CancelScope): void {
  if (child._shielded || child._cancelError !== undefined) return;
  cancelScope(child, parentError(parent, child, parent._cancelError !== undefined ? undefined : 'Parent operation ended'));
}

function released(ledger: Ledger): void {
  if (!ledger.draining || ledger.size > 0) return;
  const then = ledger.drained;
  ledger.drained = undefined;
  ledger.outcome = undefined;
  if (then !== undefined) runQueued(then);
}

// Ending a deep chain of scopes (a parent draining its child, draining its own child...) would nest one
// completion per level: completions run from one queue instead (no recursion limit).
let queue: (() => void)[] | undefined;

/** Runs `callback` now, or after the callback that is running now (never nested). */
export function runQueued(callback: () => void): void {
  if (queue !== undefined) {
    queue.push(callback);
    return;
  }
  const running = (queue = [callback]);
  try {
    for (let i = 0; i < running.length; i++) (running[i] as () => void)();
  } finally {
    queue = undefined;
  }
}
