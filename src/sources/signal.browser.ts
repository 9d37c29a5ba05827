/**
 * The browser version of `signal.ts`, swapped in by the `browser` build of the main entry: a page has
 * no process, so no OS signals. `Cancelable.withSignal` and `new SignalSource()` throw a TypeError
 * that says so (rather than a ReferenceError on `process`), and the code that listens to signals is
 * not in the bundle. Every other source works as everywhere.
 */
import type { CancelableOptions } from '../core/index.js';
import { MultiSource } from '../core/source.js';
import type { SignalName } from './signal-names.js';
import type { SignalSourceArgs } from './signal.js';

export type { SignalSourceArgs, SignalSourceOptions, WithSignalArgs, WithSignalOptions } from './signal.js';

function unavailable(what: string): TypeError {
  return new TypeError(`${what}: OS signals are not available in a browser (no process); cancel with a token, an AbortSignal or a condition instead`);
}

/** The signals listened to when none are given, as on Node: `SIGINT` + `SIGTERM`. */
export function defaultSignals(platform = 'browser'): SignalName[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
}

/**
 * Listens to OS signals on Node, Bun and Deno; in a browser, constructing one throws a TypeError.
 * @example
 * ```ts
 * new SignalSource('SIGINT'); // TypeError in a browser
 * ```
 */
export class SignalSource extends MultiSource {
  /** The signals listened to. */
  readonly signals: readonly SignalName[] = [];
  /** Whether a second signal exits the process. */
  readonly exitOnSecondSignal: boolean = false;

  constructor(...args: SignalSourceArgs) {
    super({ reason: 'signal' });
    void args;
    throw unavailable('SignalSource');
  }

  protected activate(): never {
    throw unavailable('SignalSource');
  }

  protected deactivate(): void {}
}

/** @internal `Cancelable.withSignal` in a browser: throws a TypeError. */
export function signalScopeParts(args: readonly unknown[]): { source: SignalSource; options: CancelableOptions | undefined } {
  void args;
  throw unavailable('Cancelable.withSignal');
}
