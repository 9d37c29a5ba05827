/**
 * The rare fields of a scope, in one record allocated on first use: a scope that is run and ends
 * without metadata, callbacks, registries, progress, a token or `enter()` never allocates it.
 */
import type { ProgressReport } from '../context.js';
import type { Logger } from '../diagnostics.js';
import type { ScopeObserver } from '../registry-hooks.js';
import type { CancelationToken } from '../token.js';
import type { Callbacks } from './callbacks.js';
import type { CancelScope } from './cancel-scope.js';
import type { EnteredFrame } from './current.js';

/** @internal */
export class ScopeExtras {
  metadata: Record<string, unknown> | undefined = undefined;
  /** The grace period when not the default (`DEFAULT_GRACE_MS`). */
  graceMs: number | undefined = undefined;
  logger: Logger | undefined = undefined;
  /** The scope's `partialResult`. */
  partialResult: unknown = null;
  /** The wall-clock start, derived from the monotonic start when first read. */
  startTime: number | undefined = undefined;
  callbacks: Callbacks | undefined = undefined;
  /** The `register` option, until start. */
  register: boolean | ScopeObserver = false;
  /** The registries told of this run (start, progress, end). */
  registries: ScopeObserver[] | undefined = undefined;
  progress: ProgressReport | undefined = undefined;
  /** The scope's own token and the unsubscribe of the scope's listener on it. */
  token: CancelationToken | undefined = undefined;
  tokenOff: (() => void) | undefined = undefined;
  /** Releases the hold on a parent from another copy of the library. */
  foreignParentRelease: (() => void) | undefined = undefined;
  /** `enter()`'s frame in the async context, until disposal. */
  frame: EnteredFrame | undefined = undefined;
  /** Resolves when a scope started with `enter()` has fully ended. */
  blockDone: Promise<void> | undefined = undefined;
  /** The failure of a `failed` run. */
  failure: unknown = undefined;
  /** Called once the scope has fully ended (disposal waiting for a scope that is ending). */
  endWaiters: (() => void)[] | undefined = undefined;
  /** The grace period expired while a shield ran: it starts again when the last shield ends. */
  graceAwaitsShields = false;
}

/** The scope's extras record, allocated on first use. */
export function extrasOf(scope: CancelScope): ScopeExtras {
  return (scope._x ??= new ScopeExtras());
}
