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
    return onAbort(signal, () => target[kFire](initFromAbortReason(signal.reason), this));
  }

  protected deactivate(state: unknown): void {
    (state as (() => void) | undefined)?.();
  }
}

// One 'abort' listener per signal, however many scopes listen to it: a request's signal shared by 150
// scopes would otherwise get 150 listeners and a MaxListenersExceededWarning on a signal the user owns.
interface Fanout {
  readonly listener: () => void;
  readonly callbacks: Set<() => void>;
}
const fanouts = new WeakMap<AbortSignal, Fanout>();

/** Calls `callback` once when `signal` aborts (it must not be aborted yet); returns the unsubscribe. */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      fanouts.delete(signal);
      for (const each of [...callbacks]) {
        if (!callbacks.has(each)) continue; // unsubscribed by an earlier one (as removeEventListener)
        try {
          each();
        } catch (error) {
          // As EventTarget does for a throwing listener: reported later, and the others still run.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    };
    fanout = { listener, callbacks };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = fanout;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    // The last scope stopped listening: the signal keeps no listener of ours.
    if (fanouts.get(signal)?.callbacks === callbacks) fanouts.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
