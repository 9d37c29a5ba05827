/**
 * What the layers above the kernel (streams, workers, processes, integrations) use to tie their work to
 * a scope, from this or another copy of the library: hear of its cancellation, and hold it open until
 * the work is really over.
 */
import type { CancelationError } from '../errors.js';
import { describeValue } from '../validate.js';
import { isOwnScope, kHoldProtocol, kListenProtocol } from './brand.js';
import type { CancelScope } from './cancel-scope.js';
import { currentScope } from './current.js';
import { hold, type Hold } from './ledger.js';
import { listen } from './waiters.js';

/**
 * Calls `listener(error)` once, synchronously, when `scope` is cancelled (at once if it already is);
 * returns a function that unsubscribes. The listener must not throw.
 */
export function onCancellation(scope: CancelScope, listener: (error: CancelationError) => void): () => void {
  if (isOwnScope(scope)) return listen(scope, listener);
  return (scope as unknown as Record<symbol, (listener: (error: CancelationError) => void) => () => void>)[kListenProtocol]!(listener);
}

/**
 * Holds `scope` open until the returned release function is called: `run()` settles only after it.
 * `entry.cancelled` hears of the scope's cancellation; `entry.stop` is called when the scope ends while
 * the hold is still open. Returns `undefined` when the scope has already ended.
 */
export function holdScope(scope: CancelScope, entry: Hold): (() => void) | undefined {
  if (isOwnScope(scope)) return hold(scope, entry);
  const holdOn = (scope as unknown as Record<symbol, ((entry: Hold) => (() => void) | undefined) | undefined>)[kHoldProtocol];
  return typeof holdOn === 'function' ? holdOn.call(scope, entry) : undefined;
}

/**
 * The scope work started by `method` belongs to: `scope` (an `options.scope`), else the current scope.
 * Throws a TypeError naming `method` when there is none, or when it is not running (work started now
 * could outlive it).
 */
export function resolveScope(scope: unknown, method: string): CancelScope {
  if (scope !== undefined) {
    if (typeof scope !== 'object' || scope === null || typeof (scope as { run?: unknown }).run !== 'function' || !('isRunning' in scope)) {
      throw new TypeError(`options.scope must be a Cancelable, got ${describeValue(scope)}`);
    }
  }
  const resolved = (scope as CancelScope | undefined) ?? currentScope();
  if (resolved === undefined) {
    throw new TypeError(`${method}() needs a scope: pass options.scope, or call it inside a running scope (Cancelable.current())`);
  }
  if (!resolved.isRunning) throw new TypeError(`${method}() needs a running scope; '${resolved.name}' is ${resolved.status}`);
  return resolved;
}

export type { Hold, RunOutcome } from './ledger.js';
