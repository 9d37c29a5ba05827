import { OperationStatus } from '../core/reasons.js';
import { checkInteger, checkOptions, describeValue } from '../core/validate.js';
import { checkTime as toEpochMs } from '../core/index.js';

/** Selects operations in `list()` and `cancelAll()`. Every given field must match. */
export interface OperationFilter {
  /** One status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** A case-insensitive substring of the name, or a RegExp tested against it. */
  name?: string | RegExp;
  /** The parent's id; `null` selects top-level operations (no parent). */
  parentId?: string | null;
}

/** Options of `history()`. */
export interface HistoryOptions {
  /** At most this many entries: the newest ones (after the other filters). */
  limit?: number;
  /** One final status, or any of several. */
  status?: OperationStatus | readonly OperationStatus[];
  /** Only operations that ended at or after this time (a `Date` or epoch milliseconds). */
  since?: Date | number;
}

/** @internal A filter checked and compiled once per call, tested on an operation's fields. */
export type ContextTest = (name: string, status: string, parentId: string | null) => boolean;

const statuses: ReadonlySet<string> = new Set(Object.values(OperationStatus));

/** @internal Validates a status (or a list of them) given as `name`; undefined means any. */
export function compileStatus(name: string, value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  Array.from(list).forEach((status, index) => { // Array.from: a hole is checked as undefined, not skipped
    if (typeof status !== 'string' || !statuses.has(status)) {
      const where = Array.isArray(value) ? `${name}[${index}]` : name;
      throw new TypeError(
        `${where} must be one of ${[...statuses].join(', ')}; got ${describeValue(status)}`,
      );
    }
  });
  return new Set(list as string[]);
}

/** @internal Validates a filter and returns its test (undefined: everything matches). */
export function compileFilter(filter: unknown): ContextTest | undefined {
  checkOptions('filter', filter);
  if (filter === undefined) return undefined;
  const { status, name, parentId } = filter as OperationFilter;
  const wanted = compileStatus('filter.status', status);
  let nameTest: ((name: string) => boolean) | undefined;
  if (typeof name === 'string') {
    // An empty pattern would select everything: a cancelAll({ name: '' }) must not cancel it all.
    if (name === '') throw new RangeError('filter.name must not be empty (omit it to select every operation)');
    const needle = name.toLowerCase();
    nameTest = (candidate) => candidate.toLowerCase().includes(needle);
  } else if (name instanceof RegExp) {
    // A global or sticky RegExp keeps state between test() calls: use a stateless copy.
    const pattern = name.global || name.sticky ? new RegExp(name.source, name.flags.replace(/[gy]/g, '')) : name;
    nameTest = (candidate) => pattern.test(candidate);
  } else if (name !== undefined) {
    throw new TypeError(`filter.name must be a string or a RegExp, got ${describeValue(name)}`);
  }
  if (parentId !== undefined && parentId !== null && typeof parentId !== 'string') {
    throw new TypeError(`filter.parentId must be a string or null, got ${describeValue(parentId)}`);
  }
  if (wanted === undefined && nameTest === undefined && parentId === undefined) return undefined;
  return (candidateName, candidateStatus, candidateParentId) =>
    (wanted === undefined || wanted.has(candidateStatus)) &&
    (nameTest === undefined || nameTest(candidateName)) &&
    (parentId === undefined || candidateParentId === parentId);
}

/** @internal Validated history options. */
export interface CompiledHistoryOptions {
  limit: number;
  status: ReadonlySet<string> | undefined;
  since: number | undefined;
}

/** @internal Validates history options. */
export function compileHistoryOptions(options: unknown): CompiledHistoryOptions {
  checkOptions('options', options);
  const given = (options ?? {}) as HistoryOptions;
  return {
    limit: given.limit === undefined ? Infinity : checkInteger('options.limit', given.limit, 0),
    status: compileStatus('options.status', given.status),
    since: given.since === undefined ? undefined : toEpochMs('options.since', given.since),
  };
}
