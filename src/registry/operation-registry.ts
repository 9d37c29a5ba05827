import type { OperationContext } from '../core/context.js';
import { reportCallbackError } from '../core/diagnostics.js';
import { OperationStatus } from '../core/reasons.js';
import {
  installDefaultRegistry,
  isAutoRegistering,
  setAutoRegister,
  type ScopeObserver,
} from '../core/registry-hooks.js';
import { singleton } from '../core/runtime.js';
import type { Cancelable } from '../cancelable.js';
import { parseCancelArgument, type CancelArgument } from '../core/token.js';
import { checkFunction, checkInteger, checkOptions, describeValue } from '../core/validate.js';
import { checkTime as toEpochMs } from '../core/index.js';
import { listenRegistry, type ControlServer, type ControlServerOptions } from './listen.js';
import {
  compileFilter,
  compileHistoryOptions,
  compileStatus,
  type ContextTest,
  type HistoryOptions,
  type OperationFilter,
} from './filters.js';
import { HistoryRing } from './history.js';
import { copyContext } from './snapshot.js';

/** What changed: an operation started, reported progress, or ended (its status is final). */
export interface RegistryEvent {
  type: 'start' | 'progress' | 'end';
  /** A snapshot of the operation at that moment (a copy: mutating it changes nothing). */
  context: OperationContext;
}

/**
 * Called synchronously with each {@link RegistryEvent}. Its return value is ignored, except that the
 * rejection of a returned promise is reported (an async listener is not awaited).
 */
export type RegistryListener = (event: RegistryEvent) => unknown;

/** Counters of a registry, from its creation. */
export interface RegistryStats {
  /** Operations running now (the live set). */
  active: number;
  /** Operations registered so far. */
  started: number;
  /** Operations that ended so far. */
  ended: number;
  /** Live operations (`running`) and ended ones by final status. */
  byStatus: { running: number; completed: number; cancelled: number; failed: number };
  /** Mean duration of the operations that ended, in milliseconds; `null` before the first ends. */
  averageDurationMs: number | null;
  /** Snapshots kept in the history, and its cap. */
  historySize: number;
  historyLimit: number;
}

/** Options of {@link OperationRegistry}. */
export interface OperationRegistryOptions {
  /** How many ended operations the history keeps (the newest). Default 1,000; 0 keeps none. */
  historyLimit?: number;
  /** Register every scope that starts (see {@link OperationRegistry.autoRegister}). Default false. */
  autoRegister?: boolean;
}

/** Options of {@link OperationRegistry.cleanup}. */
export interface CleanupOptions {
  /** Only entries that ended before this time (a `Date` or epoch milliseconds). */
  before?: Date | number;
  /** Only entries with this final status (or any of these). */
  status?: OperationStatus | readonly OperationStatus[];
}

/** What {@link OperationRegistry.cleanup} removed, in all and by final status. */
export interface CleanupResult {
  removed: number;
  completed: number;
  cancelled: number;
  failed: number;
}

/** The default history cap. */
export const DEFAULT_HISTORY_LIMIT = 1_000;

const DEFAULT_CANCEL_MESSAGE = 'Cancelled through the operation registry';

interface Subscription {
  listener: RegistryListener;
  /** The emit count when it subscribed: an event already being emitted then is not its. */
  since: number;
  /** The emit count when it unsubscribed: events in flight then still reach it, later ones not. */
  removed: number | undefined;
}

/**
 * Tracks running operations so they can be listed, watched and cancelled from elsewhere (an admin
 * endpoint, the `cancelable` CLI through {@link OperationRegistry.listen}, a shutdown hook).
 *
 * A scope registers while it runs with `register: true` ({@link OperationRegistry.default}) or
 * `register: someRegistry`; or every scope does once `registry.autoRegister = true`. A scope that is
 * not registered costs the registry nothing. A duplicate id is rejected: that run fails with a
 * TypeError. An operation leaves the live set the moment it ends — however it ends, a cancellation
 * by an enclosing scope included — and a snapshot of it goes to the history (capped, newest kept).
 *
 * Everything returned is a snapshot (a JSON-safe deep copy), except {@link OperationRegistry.get},
 * which returns the live scope.
 *
 * @example
 * ```ts
 * const job = cancelable({ name: 'nightly-import', register: true }, async (scope) => importAll(scope.signal));
 * void job();
 * OperationRegistry.default.list({ name: 'import' }); // [{ id, name: 'nightly-import', status: 'running', ... }]
 * OperationRegistry.default.cancelAll({ name: /import/ }, 'Maintenance window'); // 1
 * ```
 */
export class OperationRegistry implements ScopeObserver {
  /**
   * The process-wide registry that `register: true` means (shared by every copy of the library loaded
   * in the process).
   */
  static get default(): OperationRegistry {
    return singleton('registry.default', () => new OperationRegistry());
  }

  readonly #live = new Map<string, Cancelable>();
  readonly #history: HistoryRing;
  // A Set: (un)subscribing is O(1) however many listen (a copied array made 40,000 subscribes O(n²)).
  readonly #subscriptions = new Set<Subscription>();
  #emits = 0;
  #emitting = 0;
  // Unsubscribed while an event was being delivered: deleted once no emit is in progress.
  #removals: Subscription[] = [];
  #started = 0;
  #completed = 0;
  #cancelled = 0;
  #failed = 0;
  #totalDurationMs = 0;

  constructor(options?: OperationRegistryOptions) {
    checkOptions('options', options);
    const limit = options?.historyLimit;
    this.#history = new HistoryRing(
      limit === undefined ? DEFAULT_HISTORY_LIMIT : checkInteger('options.historyLimit', limit, 0),
    );
    if (options?.autoRegister !== undefined) this.autoRegister = options.autoRegister;
  }

  /**
   * Whether every scope that starts registers here, whatever its `register` option. Turn it off when
   * done: an auto-registering registry is kept by the process-wide runtime.
   */
  get autoRegister(): boolean {
    return isAutoRegistering(this);
  }

  set autoRegister(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`autoRegister must be a boolean, got ${describeValue(on)}`);
    setAutoRegister(this, on);
  }

  /** The history cap; lowering it drops the oldest entries. */
  get historyLimit(): number {
    return this.#history.capacity;
  }

  set historyLimit(limit: number) {
    this.#history.capacity = checkInteger('historyLimit', limit, 0);
  }

  /** How many operations are running (registered and not yet ended). */
  get size(): number {
    return this.#live.size;
  }

  // ---------------------------------------------------------------- ScopeObserver (called by scopes)

  /** @internal A registered scope started. Throws on a duplicate id (the run then fails). */
  scopeStarted(scope: object): void {
    const operation = scope as Cancelable;
    const id = operation.id;
    const existing = this.#live.get(id);
    if (existing !== undefined) {
      if (existing === operation) return;
      throw new TypeError(
        `options.id ${describeValue(id)} is already used by the running operation '${existing.name}' in this registry; ids must be unique`,
      );
    }
    this.#live.set(id, operation);
    this.#started++;
    if (this.#subscriptions.size > 0) this.#emit('start', operation, copyContext(operation.context));
  }

  /** @internal A registered scope reported progress. */
  scopeProgress(scope: object): void {
    if (this.#subscriptions.size === 0) return;
    const operation = scope as Cancelable;
    if (this.#live.get(operation.id) !== operation) return;
    this.#emit('progress', operation, copyContext(operation.context));
  }

  /** @internal A registered scope ended: it leaves the live set and goes to the history. */
  scopeEnded(scope: object): void {
    const operation = scope as Cancelable;
    const id = operation.id;
    if (this.#live.get(id) !== operation) return;
    this.#live.delete(id);
    const context = copyContext(operation.context);
    if (context.status === OperationStatus.Completed) this.#completed++;
    else if (context.status === OperationStatus.Cancelled) this.#cancelled++;
    else this.#failed++;
    this.#totalDurationMs += context.durationMs ?? 0;
    this.#history.push(context);
    // Listeners get their own copy: whatever they do to it, the history keeps what happened.
    if (this.#subscriptions.size > 0) this.#emit('end', operation, copyContext(context));
  }

  // ---------------------------------------------------------------- queries

  /**
   * The live scope with this id, or `undefined` (unknown, or already ended).
   * @example
   * ```ts
   * OperationRegistry.default.get(id)?.reportProgress('poked');
   * ```
   */
  get(id: string): Cancelable | undefined {
    if (typeof id !== 'string') throw new TypeError(`id must be a string, got ${describeValue(id)}`);
    return this.#live.get(id);
  }

  /**
   * Snapshots of the running operations that match `filter` (all by default), in start order.
   * `name` is a case-insensitive substring or a RegExp; `parentId: null` selects top-level ones.
   * @example
   * ```ts
   * registry.list({ name: 'fetch' });
   * registry.list({ name: /^import-\d+$/, parentId: batch.id });
   * ```
   */
  list(filter?: OperationFilter): OperationContext[] {
    const test = compileFilter(filter);
    const result: OperationContext[] = [];
    for (const operation of this.#live.values()) {
      if (matches(test, operation)) result.push(copyContext(operation.context));
    }
    return result;
  }

  /**
   * Cancels the running operation with this id (a `ManualCancelation`; the message defaults to
   * "Cancelled through the operation registry"). Returns whether a running operation had that id —
   * even if it was already cancelled. It returns at once; the operation ends on its own schedule.
   * @example
   * ```ts
   * registry.cancel(id, 'User clicked cancel');
   * ```
   */
  cancel(id: string, message?: CancelArgument): boolean {
    if (typeof id !== 'string') throw new TypeError(`id must be a string, got ${describeValue(id)}`);
    const argument = cancelArgument(message);
    const operation = this.#live.get(id);
    if (operation === undefined) return false;
    operation.cancel(argument);
    return true;
  }

  /**
   * Cancels every running operation that matches `filter` (all by default) and returns how many this
   * call cancelled (those already cancelled are not counted). The newest are cancelled first, so each
   * selected operation gets this message rather than its parent's.
   * @example
   * ```ts
   * const count = registry.cancelAll({ name: 'upload' }, 'Shutting down');
   * ```
   */
  cancelAll(filter?: OperationFilter, message?: CancelArgument): number {
    const test = compileFilter(filter);
    const argument = cancelArgument(message);
    const targets: Cancelable[] = [];
    for (const operation of this.#live.values()) {
      if (!operation.isCancelled && matches(test, operation)) targets.push(operation);
    }
    for (let i = targets.length - 1; i >= 0; i--) (targets[i] as Cancelable).cancel(argument);
    let count = 0;
    for (const operation of targets) if (operation.isCancelled) count++;
    return count;
  }

  /**
   * Snapshots of ended operations, oldest first: the newest `limit` (default all kept) of those with
   * the given final `status` that ended at or after `since`.
   * @example
   * ```ts
   * registry.history({ status: 'failed', since: Date.now() - 60_000, limit: 10 });
   * ```
   */
  history(options?: HistoryOptions): OperationContext[] {
    const { limit, status, since } = compileHistoryOptions(options);
    let entries = this.#history.toArray();
    if (status !== undefined || since !== undefined) {
      entries = entries.filter(
        (entry) =>
          (status === undefined || status.has(entry.status)) &&
          (since === undefined || (entry.endTime !== null && entry.endTime >= since)),
      );
    }
    if (limit < entries.length) entries = entries.slice(entries.length - limit);
    return entries.map(copyContext);
  }

  /** Counts by status, mean duration and history size (see {@link RegistryStats}). */
  stats(): RegistryStats {
    const ended = this.#completed + this.#cancelled + this.#failed;
    return {
      active: this.#live.size,
      started: this.#started,
      ended,
      byStatus: {
        running: this.#live.size,
        completed: this.#completed,
        cancelled: this.#cancelled,
        failed: this.#failed,
      },
      averageDurationMs: ended === 0 ? null : this.#totalDurationMs / ended,
      historySize: this.#history.size,
      historyLimit: this.#history.capacity,
    };
  }

  /**
   * Removes history entries (all by default; or those that ended `before` a time, or with a `status`)
   * and says how many, by status. Running operations are never touched: they leave the live set by
   * ending. The counters of {@link OperationRegistry.stats} are kept.
   * @example
   * ```ts
   * registry.cleanup({ before: Date.now() - 3_600_000 }); // { removed: 12, completed: 10, ... }
   * ```
   */
  cleanup(options?: CleanupOptions): CleanupResult {
    checkOptions('options', options);
    const before = options?.before === undefined ? undefined : toEpochMs('options.before', options.before);
    const status = compileStatus('options.status', options?.status);
    const removed = this.#history.retain(
      (entry) =>
        !(
          (before === undefined || (entry.endTime !== null && entry.endTime < before)) &&
          (status === undefined || status.has(entry.status))
        ),
    );
    const result: CleanupResult = { removed: removed.length, completed: 0, cancelled: 0, failed: 0 };
    for (const entry of removed) {
      if (entry.status === 'completed' || entry.status === 'cancelled' || entry.status === 'failed') result[entry.status]++;
    }
    return result;
  }

  /**
   * Calls `listener` synchronously on every start, progress report and end of a registered operation.
   * A listener that throws (or rejects) is reported on the `cancelable:callback-error` channel and
   * never disturbs the registry or the operation. Returns a function that unsubscribes (idempotent).
   * @example
   * ```ts
   * const off = registry.subscribe(({ type, context }) => console.log(type, context.name, context.status));
   * off();
   * ```
   */
  subscribe(listener: RegistryListener): () => void {
    checkFunction('listener', listener);
    const subscription: Subscription = { listener, since: this.#emits, removed: undefined };
    this.#subscriptions.add(subscription);
    return () => {
      if (subscription.removed !== undefined) return;
      subscription.removed = this.#emits;
      if (this.#emitting > 0) this.#removals.push(subscription);
      else this.#subscriptions.delete(subscription);
    };
  }

  /**
   * Serves this registry on a local control socket for the `cancelable` CLI (`ps`, `cancel`, `watch`):
   * see the processes documentation. Resolves once listening; `close()` the server when done.
   * @example
   * ```ts
   * const server = await OperationRegistry.default.listen();
   * // $ cancelable ps --socket <server.path>
   * await server.close();
   * ```
   */
  listen(options?: ControlServerOptions): Promise<ControlServer> {
    return listenRegistry(this, options);
  }

  #emit(type: RegistryEvent['type'], operation: Cancelable, context: OperationContext): void {
    const event: RegistryEvent = { type, context };
    // The event reaches the listeners subscribed when it started: one added during it (since >= emit)
    // waits for the next, one removed during it still gets it (removals are applied afterwards).
    const emit = ++this.#emits;
    this.#emitting++;
    try {
      for (const subscription of this.#subscriptions) this.#deliver(subscription, emit, event, operation);
    } finally {
      if (--this.#emitting === 0 && this.#removals.length > 0) {
        for (const subscription of this.#removals) this.#subscriptions.delete(subscription);
        this.#removals = [];
      }
    }
  }

  #deliver(subscription: Subscription, emit: number, event: RegistryEvent, operation: Cancelable): void {
    const { listener, since, removed } = subscription;
    if (since >= emit || (removed !== undefined && removed < emit)) return;
    try {
      const result: unknown = listener(event);
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<void>).then === 'function') {
        (result as PromiseLike<void>).then(undefined, (error: unknown) =>
          reportCallbackError(operation, 'registry listener', error),
        );
      }
    } catch (error) {
      reportCallbackError(operation, 'registry listener', error);
    }
  }
}

function matches(test: ContextTest | undefined, operation: Cancelable): boolean {
  return test === undefined || test(operation.name, operation.status, operation.parent?.id ?? null);
}

/** Validates a cancel argument; a missing message says where the cancellation came from. */
function cancelArgument(message: CancelArgument): CancelArgument {
  if (message === undefined) return DEFAULT_CANCEL_MESSAGE;
  const { reason, message: text } = parseCancelArgument(message);
  return { reason, message: text ?? DEFAULT_CANCEL_MESSAGE };
}

// `register: true` means this registry (the same one for every copy of the library in the process).
installDefaultRegistry(OperationRegistry.default);
