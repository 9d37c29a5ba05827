// PLACEHOLDER — owned by the sources work (issue 3); replaced by the real implementation.
import type { CancelableOptions } from '../core/scope.js';
import type { CancelationSource } from '../core/source.js';

/** Options of a signal source. */
export interface SignalSourceOptions {
  name?: string;
}

/** What `Cancelable.withSignal` takes: signal names, then optionally an options object. */
export type WithSignalArgs = (NodeJS.Signals | (CancelableOptions & SignalSourceOptions))[];

/** @internal Splits `withSignal` arguments into the source and the scope options. */
export function signalScopeParts(_args: readonly unknown[]): {
  source: CancelationSource;
  options: CancelableOptions | undefined;
} {
  throw new Error('SignalSource is not implemented yet');
}
