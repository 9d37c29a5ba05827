/**
 * The options of a scope, checked once at construction: each bad value is a TypeError or RangeError
 * naming it, and an unknown key (a typo such as `timout`) is a TypeError, never silently dropped.
 */
import { getDefaultClock, isClock, type Clock } from '../clock.js';
import type { Logger } from '../diagnostics.js';
import type { ScopeObserver } from '../registry-hooks.js';
import { CancelationSource } from '../source.js';
import { DeadlineSource } from '../time/deadline-source.js';
import { TimeoutSource } from '../time/timeout-source.js';
import {
  checkDuration,
  checkDurationOrInfinity,
  checkKnownKeys,
  checkOptionalString,
  checkTime,
  describeValue,
} from '../validate.js';
import { isOwnScope } from './brand.js';
import type { CancelScope } from './cancel-scope.js';
import { extrasOf } from './extras.js';
import { DONE, PENDING } from './phases.js';

/**
 * How long `run()` waits, after a cancellation, for a body that ignores it before rejecting anyway
 * (unless a shield is in progress). 100 ms: long enough for cooperative cleanup in `finally` blocks,
 * short enough that a timeout "really fires". Cleanup that needs longer belongs in `shield()`.
 */
export const DEFAULT_GRACE_MS = 100;

/** Options of a scope (`new Cancelable(options)`); every factory takes them as its trailing argument. */
export interface CancelableOptions {
  /** A name for reports, the registry and the CLI. Default `'operation'`. */
  name?: string;
  /** A unique id. Default: a random UUID (created on first read). */
  id?: string;
  /**
   * The parent scope. Default: the innermost running scope of the current async context
   * (`Cancelable.current()`); `null` detaches the scope.
   */
  parent?: CancelScope | null;
  /** What can cancel the scope. */
  sources?: CancelationSource[];
  /** Cancel the scope this many milliseconds after it starts (adds a `TimeoutSource`). */
  timeout?: number;
  /** Cancel the scope at this time, a `Date` or epoch milliseconds (adds a `DeadlineSource`). */
  deadline?: Date | number;
  /** Free-form data kept on the context. */
  metadata?: Record<string, unknown>;
  /** Register with the default registry (`true`) or a given one while running. */
  register?: boolean | ScopeObserver;
  /** See {@link DEFAULT_GRACE_MS}. `Infinity` waits for the body however long it takes. */
  graceMs?: number;
  /** The clock for timers (tests). Default: `getDefaultClock()`. */
  clock?: Clock;
  /** A logger for this scope's reports. Default: the global one (`setLogger`). */
  logger?: Logger;
}

/** The keys a scope's options may have. */
export const scopeOptionKeys: ReadonlySet<string> = new Set([
  'name',
  'id',
  'parent',
  'sources',
  'timeout',
  'deadline',
  'metadata',
  'register',
  'graceMs',
  'clock',
  'logger',
]);

/** Checks `options` and applies them to a new scope. */
export function applyOptions(scope: CancelScope, options: CancelableOptions | undefined): void {
  if (options === undefined) {
    scope._clock = getDefaultClock();
    return;
  }
  checkKnownKeys('options', options, scopeOptionKeys);
  const id = checkOptionalString('options.id', options.id);
  if (id === '') throw new RangeError('options.id must not be empty');
  const name = checkOptionalString('options.name', options.name);
  const parent = options.parent;
  if (parent !== undefined && parent !== null && !isScope(parent)) {
    throw new TypeError(`options.parent must be a Cancelable or null, got ${describeValue(parent)}`);
  }
  const sources = checkSources(options.sources);
  if (options.timeout !== undefined) sources.push(new TimeoutSource(checkDuration('options.timeout', options.timeout)));
  if (options.deadline !== undefined) sources.push(new DeadlineSource(checkTime('options.deadline', options.deadline)));
  const metadata = options.metadata;
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object')) {
    throw new TypeError(`options.metadata must be an object, got ${describeValue(metadata)}`);
  }
  const register = options.register;
  if (register !== undefined && typeof register !== 'boolean' && !isObserver(register)) {
    throw new TypeError(`options.register must be a boolean or an OperationRegistry, got ${describeValue(register)}`);
  }
  const clock = options.clock;
  if (clock !== undefined && !isClock(clock)) {
    throw new TypeError(`options.clock must be a Clock (now, setTimeout, clearTimeout), got ${describeValue(clock)}`);
  }
  const logger = options.logger;
  if (logger !== undefined && (logger === null || typeof logger !== 'object')) {
    throw new TypeError(`options.logger must be an object with debug/info/warn/error methods, got ${describeValue(logger)}`);
  }
  const graceMs = options.graceMs === undefined ? undefined : checkDurationOrInfinity('options.graceMs', options.graceMs);
  if (name !== undefined) scope._name = name;
  scope._id = id;
  scope._parent = parent;
  if (sources.length > 0) scope._sources = sources;
  if (metadata !== undefined || (register !== undefined && register !== false) || graceMs !== undefined || logger !== undefined) {
    const x = extrasOf(scope);
    x.metadata = metadata;
    if (register !== undefined) x.register = register;
    x.graceMs = graceMs;
    x.logger = logger;
  }
  scope._clock = clock ?? getDefaultClock();
}

function checkSources(sources: unknown): CancelationSource[] {
  if (sources === undefined) return [];
  if (!Array.isArray(sources)) {
    throw new TypeError(`options.sources must be an array of CancelationSource, got ${describeValue(sources)}`);
  }
  const list: CancelationSource[] = [];
  // Array.from: a hole is a bad (undefined) item, not skipped.
  Array.from(sources as unknown[]).forEach((source, index) => {
    checkSource(`options.sources[${index}]`, source);
    list.push(source as CancelationSource);
  });
  return list;
}

/** Throws unless `source` is a `CancelationSource`. */
export function checkSource(name: string, source: unknown): void {
  if (!(source instanceof CancelationSource)) {
    throw new TypeError(`${name} must be a CancelationSource, got ${describeValue(source)}`);
  }
}

/** Whether `value` is a scope (of this or another copy of the library). */
function isScope(value: unknown): value is CancelScope {
  if (isOwnScope(value)) return true;
  const candidate = value as Partial<CancelScope> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.run === 'function' && 'isCancelled' in candidate;
}

function isObserver(value: unknown): value is ScopeObserver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ScopeObserver).scopeStarted === 'function' &&
    typeof (value as ScopeObserver).scopeEnded === 'function'
  );
}

/** The new name of a scope that has not started (`scope.name = value`). */
export function checkRename(scope: CancelScope, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`name must be a string, got ${describeValue(value)}`);
  if (value === '') throw new RangeError('name must not be empty');
  if (scope._phase !== PENDING) throw new TypeError(`name can only be set before the scope starts; '${scope._name}' is ${scope.status}`);
  return value;
}

/** The new grace period of a scope that has not ended (`scope.graceMs = value`). */
export function checkGraceChange(scope: CancelScope, value: unknown): number {
  const ms = checkDurationOrInfinity('graceMs', value);
  if (scope._phase >= DONE) throw new TypeError(`graceMs cannot be set after the scope ended; '${scope._name}' is ${scope.status}`);
  return ms;
}
