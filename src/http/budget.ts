/**
 * The time left to a scope: the earliest of its own and its ancestors' deadlines (request deadlines,
 * timeouts, deadlines), on the scope's clock.
 */
import { Cancelable } from '../cancelable.js';
import { type CancelScope, DeadlineSource, TimeoutSource } from '../core/index.js';
import type { DeadlineHeader } from './headers.js';
import { stateOfScope } from './request-source.js';
import { startTimeOf } from '../core/scope/snapshot.js';

/** The budget of a scope: what is left, and the header family the request at its root came in with. */
export interface Budget {
  /** Milliseconds left (`Infinity` when nothing bounds the scope); 0 once past. */
  readonly remainingMs: number;
  /** The deadline header family of the nearest enclosing request scope, if its caller sent one. */
  readonly header: DeadlineHeader | undefined;
}

/**
 * The time left to `scope` (default: `Cancelable.current()`) before one of its deadlines passes —
 * its own or an ancestor's: request deadlines, `TimeoutSource`s, `DeadlineSource`s; `Infinity` when
 * none bounds it (or there is no scope), 0 once one is past.
 * @example
 * ```ts
 * if (remainingBudget() < 50) throw new Error('not enough time left to call the ranking service');
 * ```
 */
export function remainingBudget(scope?: CancelScope): number {
  return budgetOf(scope ?? Cancelable.current()).remainingMs;
}

/** @internal The budget and the inbound header family of `scope` and its ancestors. */
export function budgetOf(scope: CancelScope | undefined): Budget {
  let deadline = Infinity;
  let header: DeadlineHeader | undefined;
  let now = NaN;
  for (let current = scope; current !== undefined; current = current.parent) {
    if (Number.isNaN(now)) now = current.clock.now();
    const state = stateOfScope(current);
    if (state !== undefined) {
      if (state.deadline < deadline) deadline = state.deadline;
      header ??= state.header;
    }
    if (current.status === 'running') {
      for (const source of current.sources) {
        if (source instanceof TimeoutSource) {
          const at = startTimeOf(current) + source.timeoutMs;
          if (at < deadline) deadline = at;
        } else if (source instanceof DeadlineSource && source.deadline < deadline) {
          deadline = source.deadline;
        }
      }
    }
  }
  return { remainingMs: deadline === Infinity ? Infinity : Math.max(0, deadline - now), header };
}
