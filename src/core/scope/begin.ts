/**
 * The start of a run (`run()` or `enter()`): timestamps, the link to the parent, the sources, the
 * registries and the `cancelable:start` channel. Returns the error that makes the run fail at once (a
 * source or a registry that refused to start), if any.
 */
import { channels } from '../diagnostics.js';
import { kHoldProtocol, isOwnScope } from './brand.js';
import type { CancelScope } from './cancel-scope.js';
import { currentScope } from './current.js';
import { extrasOf } from './extras.js';
import { addChild, type Hold } from './ledger.js';
import { DONE, PENDING, STARTING } from './phases.js';
import { registerStart } from './registration.js';
import { activateSources } from './sources.js';
import { cancelScope, parentError } from './tree.js';

/** Throws unless the scope can start (a scope runs once). */
export function checkStartable(scope: CancelScope, method: string): void {
  if (scope._phase !== PENDING) {
    throw new TypeError(
      `${method}(): scope '${scope._name}' (${scope.id}) was already started (status ${scope.status}); a scope runs once`,
    );
  }
}

/** Starts the scope. Returns a start error, if any. */
export function begin(scope: CancelScope): { error: unknown } | undefined {
  scope._phase = STARTING;
  // One clock read: the monotonic one (durations). The wall-clock start is derived from it when first
  // asked for (snapshot.ts), so a run pays two clock reads in all, start and end.
  const clock = scope._clock;
  scope._startMono = clock.monotonic !== undefined ? clock.monotonic() : clock.now();
  linkParent(scope);
  const failed = activateSources(scope);
  if (failed !== undefined) return failed;
  try {
    registerStart(scope);
  } catch (error) {
    return { error };
  }
  if (channels.start.hasSubscribers) channels.start.publish({ scope });
  return undefined;
}

/** Resolves the parent (explicit, or the current scope) and enters the parent's ledger. */
function linkParent(scope: CancelScope): void {
  const option = scope._parent; // before start: undefined = implicit, null = detached
  let parent = option === undefined ? currentScope() : option;
  if (parent === scope) parent = undefined;
  if (parent === undefined || parent === null) {
    scope._parent = null;
    return;
  }
  scope._parent = parent;
  if (!isOwnScope(parent)) {
    linkForeignParent(scope, parent);
    return;
  }
  if (parent._phase >= DONE) {
    const ended = parent._cancelError !== undefined ? undefined : 'Parent operation has already ended';
    if (!scope._shielded) cancelScope(scope, parentError(parent, scope, ended));
    return;
  }
  addChild(parent, scope);
  if (!scope._shielded && parent._cancelError !== undefined) cancelScope(scope, parentError(parent, scope, undefined));
}

/**
 * A parent from another copy of the library: its private state is out of reach, so the child holds
 * it through the versioned protocol. Cancellation flows down, and the parent waits for the child.
 */
function linkForeignParent(scope: CancelScope, parent: CancelScope): void {
  const entry: Hold = {
    cancelled: () => {
      if (!scope._shielded) cancelScope(scope, parentError(parent, scope, undefined));
    },
    stop: () => {
      if (!scope._shielded) cancelScope(scope, parentError(parent, scope, parent.isCancelled ? undefined : 'Parent operation ended'));
    },
  };
  const holdOn = (parent as unknown as Record<symbol, ((hold: Hold) => (() => void) | undefined) | undefined>)[kHoldProtocol];
  const release = typeof holdOn === 'function' ? holdOn.call(parent, entry) : undefined;
  if (release === undefined) {
    if (!scope._shielded) cancelScope(scope, parentError(parent, scope, parent.isCancelled ? undefined : 'Parent operation has already ended'));
    return;
  }
  extrasOf(scope).foreignParentRelease = release;
  if (parent.isCancelled && !scope._shielded) cancelScope(scope, parentError(parent, scope, undefined));
}
