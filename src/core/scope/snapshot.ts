/**
 * `scope.context`: a JSON-serialisable snapshot of a scope, for callbacks, the registry, the CLI and
 * logs. Durations come from the monotonic clock; start and end are wall-clock times for display.
 */
import type { OperationContext, ProgressReport } from '../context.js';
import { jsonSafe } from '../json.js';
import type { CancelScope } from './cancel-scope.js';
import { DONE, DONE_FAILED, PENDING } from './phases.js';
import { extrasOf } from './extras.js';

/** A monotonic reading of the scope's clock (its `now()` when it has no monotonic clock). */
export function monotonicOf(scope: CancelScope): number {
  const clock = scope._clock;
  return clock.monotonic !== undefined ? clock.monotonic() : clock.now();
}

/**
 * The wall-clock start (epoch ms), derived from the monotonic start on first read and kept: the wall
 * clock now, minus the monotonic time elapsed since the start.
 */
export function startTimeOf(scope: CancelScope): number {
  const clock = scope._clock;
  if (clock.monotonic === undefined) return scope._startMono; // the wall clock itself
  const x = extrasOf(scope);
  return (x.startTime ??= clock.now() - (clock.monotonic() - scope._startMono));
}

/** The run's duration so far (or in all, once ended), in ms; `null` before start. */
export function durationOf(scope: CancelScope): number | null {
  if (scope._phase === PENDING) return null;
  const end = scope._phase >= DONE ? scope._endMono : monotonicOf(scope);
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
    status: scope.status,
    startTime: started ? startTimeOf(scope) : null,
    endTime: scope._phase >= DONE ? startTimeOf(scope) + (duration as number) : null,
    durationMs: duration,
    cancelReason: cancel?.reason ?? null,
    cancelMessage: cancel?.message ?? null,
    error: scope._phase === DONE_FAILED ? failureMessage(x?.failure) : null,
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
