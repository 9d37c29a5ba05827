import type { CancelableOptions } from '../core/index.js';
import { checkFunction, checkKnownKeys, checkOptions, checkOptionalString, nameOnlyKeys as nameOnly } from '../core/validate.js';
import { checkPollInterval, PollingSource, type ProbeResult } from './poll.js';

/** A sync or async predicate polled by a condition source; a truthy result means "cancel now". */
export type ConditionPredicate = () => boolean | PromiseLike<boolean>;

/** Options of {@link ConditionSource}. */
export interface ConditionSourceOptions {
  /**
   * The condition's name, in the message and in `ConditionCancelation.conditionName`. Default: the
   * predicate's function name, or `'condition'` for an anonymous one.
   */
  name?: string;
}

/** The trailing options of `Cancelable.withCondition`: the scope's options plus `conditionName`. */
export type WithConditionOptions = CancelableOptions & {
  /** The condition's name (`name` is the scope's). See {@link ConditionSourceOptions.name}. */
  conditionName?: string;
};

/**
 * Cancels the scope when `predicate()` returns a truthy value (or a promise of one), with a
 * {@link ConditionCancelation} whose message is `Condition '<name>' met after <n> checks`.
 *
 * - The first check runs at start, synchronously: a sync predicate that is already true cancels
 *   the scope before its body reaches its first await.
 * - The next check starts `intervalMs` after the previous one finished: checks never overlap, and a
 *   slow async predicate delays the next one.
 * - A predicate that throws or rejects is reported (diagnostics channel `cancelable:source-error`,
 *   phase `predicate`, and the logger) and polling goes on; it counts as a check.
 * - The predicate is called without `this`: bind methods (`obj.check.bind(obj)`).
 * - Timers come from the scope's clock and are unref'd: polling never keeps the process alive.
 *
 * @example
 * ```ts
 * let stopRequested = false;
 * const source = new ConditionSource(() => stopRequested, 1_000, { name: 'stop flag' });
 * await new Cancelable({ sources: [source] }).run((scope) => work(scope.signal));
 * ```
 */
export class ConditionSource extends PollingSource<undefined> {
  /** The polled predicate. */
  readonly predicate: ConditionPredicate;

  constructor(predicate: ConditionPredicate, intervalMs = 100, options?: ConditionSourceOptions) {
    checkFunction('predicate', predicate);
    checkPollInterval('intervalMs', intervalMs);
    checkKnownKeys('options', options, nameOnly);
    const name = checkOptionalString('options.name', options?.name) ?? (predicate.name || 'condition');
    super(intervalMs, { reason: 'condition', name });
    this.predicate = predicate;
  }

  protected createData(): undefined {
    return undefined;
  }

  protected probe(_data: undefined, checks: number): ProbeResult | PromiseLike<ProbeResult> {
    const predicate = this.predicate; // called without `this`, as documented
    const result: unknown = predicate();
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      return Promise.resolve(result as PromiseLike<unknown>).then((value) => (value ? this.#met(checks) : undefined));
    }
    return result ? this.#met(checks) : undefined;
  }

  #met(checks: number): ProbeResult {
    const name = this.name;
    return { reason: 'condition', message: `Condition '${name}' met after ${checks} checks`, conditionName: name };
  }
}

/** @internal Builds the source and scope options of `Cancelable.withCondition`. */
export function conditionScopeParts(
  predicate: ConditionPredicate,
  intervalMs: number,
  options: WithConditionOptions | undefined,
): { source: ConditionSource; options: CancelableOptions | undefined } {
  checkOptions('options', options);
  if (options === undefined) return { source: new ConditionSource(predicate, intervalMs), options: undefined };
  const { conditionName, ...scopeOptions } = options;
  const name = checkOptionalString('options.conditionName', conditionName);
  return { source: new ConditionSource(predicate, intervalMs, { name }), options: scopeOptions };
}
