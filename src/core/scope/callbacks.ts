/**
 * The user callbacks of a scope: `onProgress`, `onStart`, `onComplete`, `onCancel`, `onError`. Each
 * fires at most once per run (progress: once per report), in the order added; async ones are awaited
 * in turn; a callback that throws is reported and changes nothing.
 */
import type { OperationContext } from '../context.js';
import { reportCallbackError } from '../diagnostics.js';
import { isThenable } from '../promise.js';
import { checkFunction } from '../validate.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf } from './extras.js';
import { contextOf } from './snapshot.js';

/** Called with each progress report. */
export type ProgressCallback = (
  operationId: string,
  message: string,
  metadata: Record<string, unknown> | undefined,
) => void | Promise<void>;
/** Called at start, completion or cancellation with a snapshot of the context. */
export type ContextCallback = (context: OperationContext) => void | Promise<void>;
/** Called when the run fails, with the snapshot and the error. */
export type ErrorCallback = (context: OperationContext, error: unknown) => void | Promise<void>;

/** @internal The callback lists, by kind. */
export interface Callbacks {
  progress?: ProgressCallback[];
  start?: ContextCallback[];
  complete?: ContextCallback[];
  cancel?: ContextCallback[];
  error?: ErrorCallback[];
}

const names: Record<keyof Callbacks, string> = {
  progress: 'onProgress',
  start: 'onStart',
  complete: 'onComplete',
  cancel: 'onCancel',
  error: 'onError',
};

/** Adds a callback of `kind`. */
export function addCallback<S extends CancelScope>(scope: S, kind: keyof Callbacks, callback: unknown): S {
  checkFunction('callback', callback);
  const callbacks = (extrasOf(scope).callbacks ??= {});
  ((callbacks[kind] ??= []) as unknown[]).push(callback);
  return scope;
}

/** Whether the scope has callbacks of `kind`. */
export function hasCallbacks(scope: CancelScope, kind: keyof Callbacks): boolean {
  return scope._x?.callbacks?.[kind] !== undefined;
}

/** Runs the callbacks of one kind in order, awaiting async ones; failures are reported, never thrown. */
export async function runCallbacks(scope: CancelScope, kind: Exclude<keyof Callbacks, 'progress'>, error: unknown): Promise<void> {
  const list = scope._x?.callbacks?.[kind];
  if (list === undefined) return;
  const context = contextOf(scope);
  for (const callback of list.slice()) {
    try {
      const result = kind === 'error' ? (callback)(context, error) : (callback as ContextCallback)(context);
      if (isThenable(result)) await result;
    } catch (failure) {
      reportCallbackError(scope, names[kind], failure);
    }
  }
}

/** Calls the progress callbacks (async ones are not awaited; their failures are reported). */
export function runProgressCallbacks(
  scope: CancelScope,
  message: string,
  metadata: Record<string, unknown> | undefined,
): void {
  const list = scope._x?.callbacks?.progress;
  if (list === undefined) return;
  const id = scope.id;
  for (const callback of list) {
    try {
      const result = callback(id, message, metadata);
      if (isThenable(result)) {
        result.then(undefined, (failure: unknown) => reportCallbackError(scope, 'onProgress', failure));
      }
    } catch (failure) {
      reportCallbackError(scope, 'onProgress', failure);
    }
  }
}
