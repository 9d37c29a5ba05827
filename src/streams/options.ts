/**
 * Argument checks of the stream functions: each throws at the call that got the bad value.
 */
import type { CancelScope as Cancelable } from '../core/index.js';
import { checkFunction, checkInteger, checkKnownKeys, describeValue } from '../core/validate.js';
import type { CancelableStreamOptions } from './types.js';

/** Stream options, checked and with their defaults. */
export interface ParsedStreamOptions<T> {
  readonly bufferSize: number;
  readonly reportInterval: number; // 0: none
  readonly onProgress: ((count: number, item: T) => void | Promise<void>) | undefined;
  readonly bufferPartial: boolean;
}

const defaults: ParsedStreamOptions<never> = {
  bufferSize: 0,
  reportInterval: 0,
  onProgress: undefined,
  bufferPartial: false,
};

/** The keys of {@link CancelableStreamOptions}. */
export const streamOptionKeys: ReadonlySet<string> = new Set(['bufferSize', 'reportInterval', 'onProgress', 'bufferPartial']);

/** Checks the stream options (`options.*` in messages); an unknown key is a TypeError. */
export function parseStreamOptions<T>(options: CancelableStreamOptions<T> | undefined): ParsedStreamOptions<T> {
  checkKnownKeys('options', options, streamOptionKeys);
  if (options === undefined) return defaults as ParsedStreamOptions<T>;
  const { bufferSize, reportInterval, onProgress, bufferPartial } = options;
  if (bufferPartial !== undefined && typeof bufferPartial !== 'boolean') {
    throw new TypeError(`options.bufferPartial must be a boolean, got ${describeValue(bufferPartial)}`);
  }
  return {
    bufferSize: bufferSize === undefined ? 0 : checkInteger('options.bufferSize', bufferSize, 0),
    reportInterval: reportInterval === undefined ? 0 : checkInteger('options.reportInterval', reportInterval, 1),
    onProgress: onProgress === undefined ? undefined : checkFunction('options.onProgress', onProgress),
    bufferPartial: bufferPartial ?? false,
  };
}

/** Checks that `scope` is a Cancelable (by shape, so that two copies of the library interoperate). */
export function checkScope(scope: unknown): Cancelable {
  const candidate = scope as Partial<Cancelable> | null | undefined;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.run !== 'function' ||
    typeof candidate.reportProgress !== 'function' ||
    !('isCancelled' in candidate)
  ) {
    throw new TypeError(`scope must be a Cancelable, got ${describeValue(scope)}`);
  }
  return scope as Cancelable;
}
