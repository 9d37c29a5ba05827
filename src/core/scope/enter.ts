/**
 * `enter()` and `await using`: the same lifecycle as `run()` for code that cannot be a callback.
 * Disposal cannot see an error thrown in the block, so it ends the scope `cancelled` if it was
 * cancelled and `completed` otherwise, and never throws.
 */
import { runtime } from '../runtime.js';
import { checkStartable } from './begin.js';
import type { CancelScope } from './cancel-scope.js';
import { EnteredFrame } from './current.js';
import { extrasOf } from './extras.js';
import { DONE, ENTERED, OUTCOME_ERROR, OUTCOME_VALUE, SETTLING } from './phases.js';
import { startBlock } from './run.js';

/** Starts the scope for the rest of the enclosing function (see `CancelScope.enter`). */
export function enter(scope: CancelScope): void {
  checkStartable(scope, 'enter');
  const { run, done, startError } = startBlock(scope);
  extrasOf(scope).blockDone = done;
  if (startError !== undefined) {
    run.record(OUTCOME_ERROR, startError.error);
    throw startError.error;
  }
  const frame = (extrasOf(scope).frame = new EnteredFrame(scope, runtime.storage.getStore()));
  runtime.storage.enterWith(frame);
}

/** Ends a scope started with {@link enter}; resolves once it has fully ended. Never rejects. */
export async function dispose(scope: CancelScope): Promise<void> {
  // Synchronously, before any await: the code after `await using` continues in this context.
  const x = scope._x;
  const frame = x?.frame;
  if (x !== undefined && frame !== undefined) {
    x.frame = undefined;
    frame.scope = undefined;
    if (runtime.storage.getStore() === frame) runtime.storage.enterWith(frame.previous as object);
  }
  const done = x?.blockDone;
  if (scope._phase !== ENTERED) {
    if (scope._phase === SETTLING) await new Promise<void>((resolve) => (extrasOf(scope).endWaiters ??= []).push(resolve));
    else if (scope._phase >= DONE && done !== undefined) await done;
    return;
  }
  const run = scope._run;
  if (run === undefined) return;
  if (scope._cancelError !== undefined) run.record(OUTCOME_ERROR, scope._cancelError);
  else run.record(OUTCOME_VALUE, undefined);
  await done;
}
