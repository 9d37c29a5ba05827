/**
 * The cancellation tree: a cancel marks the whole running subtree first (iteratively: no recursion
 * limit, 100,000 children or a 10,000-deep chain), then delivers, parent before child: library awaits
 * reject, held resources (workers, processes, children of another copy of the library) are told, the
 * run arms its grace period, the signal aborts and the channel publishes. User code (abort listeners,
 * channel subscribers) therefore only runs once every scope of the subtree reports `isCancelled`.
 * Shielded edges (a shield's scope) are not crossed.
 */
import { channels, log } from '../diagnostics.js';
import { ParentCancelation, type CancelationError } from '../errors.js';
import type { CancelationReason } from '../reasons.js';
import { unlimitedListeners } from '../platform.js';
import { runtime } from '../runtime.js';
import type { CancelationSource } from '../source.js';
import type { CancelScope } from './cancel-scope.js';
import { DONE } from './phases.js';

/**
 * Cancels `root` and every running descendant with `error` (each child gets its own
 * `ParentCancelation`). Returns `false` when `root` was already cancelled or has ended.
 */
export function cancelScope(root: CancelScope, error: CancelationError, source?: CancelationSource): boolean {
  if (root._cancelError !== undefined || root._phase >= DONE) return false;
  root._cancelError = error;
  const children = root._ledger?.children;
  if (children === undefined || children.size === 0) {
    deliver(root, error, source);
    return true;
  }
  // Phase 1: mark. The list is the queue of the walk and the delivery order (parents first).
  const marked: CancelScope[] = [root];
  for (let i = 0; i < marked.length; i++) {
    const parent = marked[i] as CancelScope;
    const set = parent._ledger?.children;
    if (set === undefined || set.size === 0) continue;
    const message = parentCancelledMessage(parent);
    for (const child of set) {
      if (child._shielded || child._cancelError !== undefined || child._phase >= DONE) continue;
      child._cancelError = parentError(parent, child, undefined, message);
      marked.push(child);
    }
  }
  // Phase 2: deliver.
  deliver(root, error, source);
  for (let i = 1; i < marked.length; i++) {
    const scope = marked[i] as CancelScope;
    deliver(scope, scope._cancelError as CancelationError, undefined);
  }
  return true;
}

/** The scope's AbortSignal, created on first read; aborted with the cancellation error. */
export function signalOf(scope: CancelScope): AbortSignal {
  const abort = scope._abort;
  if (abort !== undefined) return abort instanceof AbortController ? abort.signal : abort;
  let signal: AbortSignal;
  if (scope._cancelError !== undefined) scope._abort = signal = AbortSignal.abort(scope._cancelError);
  else {
    const controller = (scope._abort = new AbortController());
    signal = controller.signal;
  }
  unlimitedListeners(signal);
  return signal;
}

/** Tells everything that waits on `scope` of its cancellation (already recorded). */
function deliver(scope: CancelScope, error: CancelationError, source: CancelationSource | undefined): void {
  scope._run?.cancelled();
  if (channels.cancel.hasSubscribers) {
    channels.cancel.publish({ scope, reason: error.reason, message: error.message, source, error });
  }
  const logger = scope._x?.logger ?? runtime.logger;
  if (logger !== undefined) {
    log(logger, 'debug', `cancelable: '${scope._name}' cancel requested (${error.reason}): ${error.message}`, {
      operationId: scope.id,
      reason: error.reason,
      source: source?.name,
    });
  }
  const waiters = scope._waiters;
  if (waiters !== undefined) {
    scope._waiters = undefined;
    waiters.cancelled(error);
  }
  const holds = scope._ledger?.holds;
  if (holds !== undefined) {
    for (const hold of holds) hold.cancelled?.(error);
  }
  const abort = scope._abort;
  if (abort instanceof AbortController) abort.abort(error);
}

/** The message of a child's error when its parent was cancelled (built once per parent when fanning out). */
function parentCancelledMessage(parent: CancelScope): string {
  const cause = parent.cancelError;
  return `Parent '${parent.name}' was cancelled${cause !== undefined ? `: ${cause.message}` : ''}`;
}

/**
 * The error a child gets from its parent: cancelled (with the parent's reason, its error as `cause`),
 * or ended (`endedMessage`). Built without a stack trace and without the child's id (read lazily):
 * cancelling 100,000 children stays fast.
 */
export function parentError(
  parent: CancelScope,
  child: CancelScope,
  endedMessage: string | undefined,
  cancelledMessage?: string,
): ParentCancelation {
  // Public getters only: the parent may be a scope of another copy of the library.
  const cause = parent.cancelError;
  const parentReason: CancelationReason | undefined = endedMessage === undefined ? cause?.reason : undefined;
  const message = endedMessage ?? cancelledMessage ?? parentCancelledMessage(parent);
  const init = parentInit;
  init.operationOf = child;
  init.cause = endedMessage === undefined ? cause : undefined;
  init.parentId = parent.id;
  init.parentReason = parentReason;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ParentCancelation(message, init);
  } finally {
    Error.stackTraceLimit = limit;
    init.operationOf = init.cause = undefined; // hold nothing between calls
  }
}

// One options record for every child's error, filled per call (the constructor copies what it
// reads): a fan-out to 100,000 children allocates their errors and nothing else.
const parentInit: { operationOf: CancelScope | undefined; cause: unknown; parentId: string | undefined; parentReason: CancelationReason | undefined } = {
  operationOf: undefined,
  cause: undefined,
  parentId: undefined,
  parentReason: undefined,
};
