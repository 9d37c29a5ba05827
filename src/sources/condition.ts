// PLACEHOLDER — owned by the sources work (issue 3); replaced by the real implementation.
import type { CancelableOptions } from '../core/scope.js';
import type { CancelationSource } from '../core/source.js';

/** A sync or async predicate polled by a condition source. */
export type ConditionPredicate = () => boolean | PromiseLike<boolean>;

/** @internal Builds the source and scope options of `Cancelable.withCondition`. */
export function conditionScopeParts(
  _predicate: ConditionPredicate,
  _intervalMs: number,
  _options: (CancelableOptions & { conditionName?: string }) | undefined,
): { source: CancelationSource; options: CancelableOptions | undefined } {
  throw new Error('ConditionSource is not implemented yet');
}
