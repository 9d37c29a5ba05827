/**
 * Closing a source safely: a `return()` that throws or rejects is reported (never thrown at the
 * consumer), and one that hangs is waited for at most the scope's `graceMs`.
 */
import type { TimerHandle } from '../core/clock.js';
import { reportSourceError } from '../core/diagnostics.js';
import type { CancelScope as Cancelable } from '../core/index.js';
import { clearLongTimeout, setLongTimeout } from '../core/index.js';
import { isThenable } from '../core/promise.js';
import { runIn } from './context.js';

/** How stream sources are named in diagnostics (`cancelable:source-error`, phase `return`). */
export const streamSourceLabel = { name: 'stream' } as const;

const resolved: Promise<void> = Promise.resolve();

function noop(): void {}

/**
 * Calls `close(arg)` in `scope`'s context and returns a promise that settles when the source is closed
 * and never rejects (a failure is reported), or `undefined` when the close finished synchronously.
 */
export function startClose<A>(scope: Cancelable, close: (arg: A) => unknown, arg: A): Promise<void> | undefined {
  let result: unknown;
  try {
    result = runIn(scope, close, arg);
  } catch (error) {
    reportSourceError(scope, streamSourceLabel, 'return', error);
    return undefined;
  }
  if (!isThenable(result)) return undefined;
  return new Promise<void>((resolve) => {
    result.then(
      () => resolve(),
      (error: unknown) => {
        reportSourceError(scope, streamSourceLabel, 'return', error);
        resolve();
      },
    );
  });
}

/**
 * Waits for a close started with {@link startClose}, at most `scope.graceMs` (on `scope.clock`); past
 * that, reports it and resolves anyway, so a hung `return()` cannot hang the consumer.
 */
export function waitForClose(scope: Cancelable, closing: Promise<void> | undefined): Promise<void> {
  if (closing === undefined) return resolved;
  const graceMs = scope.graceMs;
  if (graceMs === Infinity) return closing;
  const clock = scope.clock;
  return new Promise<void>((resolve) => {
    let timer: TimerHandle;
    const onTimeout = (): void => {
      timer = undefined;
      reportSourceError(
        scope,
        streamSourceLabel,
        'return',
        new Error(`The stream source's return() did not settle within ${graceMs}ms; no longer waiting for it`),
      );
      resolve();
    };
    timer = setLongTimeout(clock, onTimeout, graceMs, undefined);
    closing.then(() => {
      if (timer !== undefined) clearLongTimeout(clock, timer);
      timer = undefined;
      resolve();
    }, noop);
  });
}
