/**
 * `scope.context`: a JSON-serialisable snapshot of a scope, for callbacks, the registry, the CLI and
 * logs. Durations come from the monotonic clock; start and end are wall-clock times for display.
 */
import type { OperationContext, ProgressReport } from '../context.js';
import { jsonSafe } from '../json.js';
import { OperationStatus } from '../reasons.js';
import type { CancelScope } from './cancel-scope.js';
import { DONE, PENDING } from './phases.js';

/** A monotonic reading of the scope's clock (its `now()` when it has no monotonic clock). */
export function monotonicOf(scope: CancelScope): number {
  const clock = scope._clock;
  return clock.monotonic !== undefined ? clock.monotonic() : clock.now();
}

/** The run's duration so far (or in all, once ended), in ms; `null` before start. */
export function durationOf(scope: CancelScope): number | null {
  if (scope._phase === PENDING) return null;
  const end = scope._phase === DONE ? scope._endMono : monotonicOf(scope);
  return Math.max(0, end - scope._startMono);
}

/** The context snapshot of `scope`. */
export function contextOf(scope: CancelScope): OperationContext {
  const cancel = scope._cancelError;
  const started = scope._phase !== PENDING;
  const duration = durationOf(scope);
  const x = scope._x;
  return {
    id: scope.id,
    name: scope._name,
    parentId: scope._parent === null || scope._parent === undefined || !started ? null : scope._parent.id,
    status: scope._status,
    startTime: started ? scope._startTime : null,
    endTime: scope._phase === DONE ? scope._startTime + (duration as number) : null,
    durationMs: duration,
    cancelReason: cancel?.reason ?? null,
    cancelMessage: cancel?.message ?? null,
    error: scope._status === OperationStatus.Failed ? failureMessage(x?.failure) : null,
    progress: progressOf(x?.progress),
    partialResult: jsonSafe(scope.partialResult),
    metadata: jsonSafe(scope.metadata) as Record<string, unknown>,
  };
}

/** The last progress report, with its metadata made JSON-safe (copied only when it must be). */
function progressOf(progress: ProgressReport | undefined): ProgressReport | null {
  if (progress === undefined) return null;
  const metadata = progress.metadata === null ? null : (jsonSafe(progress.metadata) as Record<string, unknown>);
  return metadata === progress.metadata ? progress : { ...progress, metadata };
}

/** The context's `error`: an error's message (from any realm), else the value as a string. Never throws. */
function failureMessage(failure: unknown): string {
  try {
    const message = typeof failure === 'object' && failure !== null ? (failure as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : String(failure);
  } catch {
    try {
      return Object.prototype.toString.call(failure);
    } catch {
      return 'an unprintable value'; // a proxy whose traps all throw
    }
  }
}
