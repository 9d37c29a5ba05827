// PLACEHOLDER — owned by the processes work (issue 8); replaced by the real implementation.
import type { Cancelable, CancelableOptions } from '../core/scope.js';
import type { CancelationSource } from '../core/source.js';

/** Options of `Cancelable.fromParentProcess`. */
export interface FromParentProcessOptions {
  name?: string;
}

/** @internal The parts `Cancelable.fromParentProcess` is built from. */
export function parentProcessLink(_options?: CancelableOptions & FromParentProcessOptions): {
  source: CancelationSource;
  options: CancelableOptions | undefined;
  attach(scope: Cancelable): void;
} {
  throw new Error('fromParentProcess is not implemented yet');
}
