import { isCancelationError, type CancelationInit } from '../core/errors.js';
import { kFire, MultiSource, type SourceTarget } from '../core/source.js';
import { checkKnownKeys, describeValue, nameOnlyKeys as nameOnly } from '../core/validate.js';

/** Translates a foreign AbortSignal's reason into our terms (see {@link AbortSignalSource}). */
export function initFromAbortReason(reason: unknown): CancelationInit {
  if (isCancelationError(reason)) {
    const ours = reason as unknown as CancelationInit & { message: string };
    return {
      reason: ours.reason,
      message: ours.message,
      timeoutMs: ours.timeoutMs,
      signal: typeof ours.signal === 'string' ? ours.signal : undefined,
      conditionName: ours.conditionName,
      parentId: ours.parentId,
      parentReason: ours.parentReason,
      cause: reason,
    };
  }
  const name = typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined;
  const message =
    reason instanceof Error
      ? reason.message
      : reason === undefined
        ? undefined
        : `Aborted: ${typeof reason === 'string' ? reason : describeValue(reason)}`;
  if (name === 'TimeoutError') return { reason: 'timeout', message, cause: reason };
  return { reason: 'manual', message, cause: reason };
}

/** Whether `value` looks like an AbortSignal (from any realm). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    value instanceof AbortSignal ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as AbortSignal).aborted === 'boolean' &&
      typeof (value as AbortSignal).addEventListener === 'function')
  );
}

/**
 * Adopts a foreign AbortSignal (from a framework, a request, `AbortSignal.timeout`...). The scope's
 * reason is the signal's own if it carries one of this library's errors, `timeout` if it carries a
 * `TimeoutError`, otherwise `manual`; the signal's reason becomes the error's `cause`.
 */
export class AbortSignalSource extends MultiSource {
  /** The signal listened to. */
  readonly abortSignal: AbortSignal;

  constructor(signal: AbortSignal, options?: { name?: string }) {
    if (!isAbortSignal(signal)) throw new TypeError(`signal must be an AbortSignal, got ${describeValue(signal)}`);
    checkKnownKeys('options', options, nameOnly);
    super({ reason: 'manual', name: options?.name ?? 'abort-signal' });
    this.abortSignal = signal;
  }

  protected activate(target: SourceTarget): (() => void) | undefined {
    const signal = this.abortSignal;
    if (signal.aborted) {
      target[kFire](initFromAbortReason(signal.reason), this);
      return undefined;
    }
    const listener = (): void => target[kFire](initFromAbortReason(signal.reason), this);
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }

  protected deactivate(state: unknown): void {
    (state as (() => void) | undefined)?.();
  }
}
