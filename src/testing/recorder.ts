import { AssertionError } from 'node:assert';
import { getDefaultClock } from '../core/clock.js';
import {
  subscribeDiagnostics,
  type AbandonedDiagnostic,
  type CallbackErrorDiagnostic,
  type CancelDiagnostic,
  type EndDiagnostic,
  type ProgressDiagnostic,
  type SourceErrorDiagnostic,
  type StartDiagnostic,
} from '../core/diagnostics.js';
import type { OperationStatus } from '../core/reasons.js';
import { CancelScope as Cancelable } from '../core/index.js';
import { checkKnownKeys, describeValue } from '../core/validate.js';
import { matches, show } from './match.js';

/** The kinds of event an {@link OperationRecorder} records: one per diagnostics channel. */
export type RecordedEventType = 'start' | 'progress' | 'cancel' | 'end' | 'callback-error' | 'source-error' | 'abandoned';

const eventTypes: readonly RecordedEventType[] = [
  'start',
  'progress',
  'cancel',
  'end',
  'callback-error',
  'source-error',
  'abandoned',
];

/**
 * One recorded event. `data` holds the channel's payload without `scope`:
 * - `start`: `{}`
 * - `progress`: `{ message, metadata }`
 * - `cancel`: `{ reason, message, source, error }` (`source`: the source's name, or `undefined` for
 *   `scope.cancel()` and parent propagation)
 * - `end`: `{ status, durationMs, error, context }` (`context`: the scope's final snapshot)
 * - `callback-error`: `{ callback, error }`
 * - `source-error`: `{ source, phase, error }` (`source`: the source's name)
 * - `abandoned`: `{ outcome, value, graceMs }`
 */
export interface RecordedEvent {
  readonly type: RecordedEventType;
  /** The scope's id; `null` for events without a scope (a token's callback failing). */
  readonly operationId: string | null;
  /** The scope's name; `null` without a scope. */
  readonly name: string | null;
  /** The time of the event on the scope's clock, epoch ms. */
  readonly at: number;
  /** Position in the recording (0, 1, 2...). */
  readonly index: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Options of {@link OperationRecorder.attach}. */
export interface AttachOptions {
  /** Also record the scope's descendants (children started under it). Default `false`. */
  children?: boolean;
}

/**
 * Which events an assertion accepts: a predicate on the event, or expected values of `data` keys
 * (compared with `Object.is`, then deep equality; a RegExp matches a string value).
 */
export type EventMatcher = ((event: RecordedEvent) => boolean) | { readonly [key: string]: unknown };

/** What identifies an operation in the assertions: the scope itself or its id. */
export type OperationRef = Cancelable | string;

interface Waiter {
  readonly type: RecordedEventType;
  readonly id: string | undefined;
  readonly match: EventMatcher | undefined;
  readonly resolve: (event: RecordedEvent) => void;
}

/**
 * Records what happens to scopes — start, progress, cancellation requests, end, callback and source
 * errors, abandoned bodies — from the library's diagnostics channels, and asserts on it. Attach it to
 * the scopes under test (or {@link OperationRecorder.recordAll}), run them, then assert. It listens to
 * the channels from the first attach until {@link OperationRecorder.stop} (or the end of a `using`
 * block), so late events such as an abandoned body settling are recorded too.
 *
 * @example
 * ```ts
 * using recorder = new OperationRecorder();
 * const scope = recorder.attach(Cancelable.withTimeout(100, { clock }));
 * const run = scope.run((s) => s.sleep(1_000));
 * await clock.advance(100);
 * await run.catch(() => {});
 * recorder.assertEventOccurred(scope, 'cancel', { reason: 'timeout' });
 * recorder.assertFinalStatus(scope, 'cancelled');
 * ```
 */
export class OperationRecorder {
  readonly #events: RecordedEvent[] = [];
  readonly #scopes = new Map<Cancelable, boolean>();
  #all = false;
  #unsubscribe: (() => void) | undefined;
  #waiters: Set<Waiter> | undefined;

  /** Every recorded event, oldest first. */
  get events(): readonly RecordedEvent[] {
    return this.#events;
  }

  /** Whether the recorder is listening. */
  get isRecording(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /**
   * Records the events of `scope` (and, with `{ children: true }`, of its descendants). Returns the
   * scope, for chaining. Attach before `run()` to see its `start`.
   */
  attach<S extends Cancelable>(scope: S, options?: AttachOptions): S {
    if (!(scope instanceof Cancelable)) {
      throw new TypeError(`scope must be a Cancelable, got ${describeValue(scope)}`);
    }
    checkKnownKeys('options', options, new Set(['children']));
    this.#scopes.set(scope, options?.children === true || this.#scopes.get(scope) === true);
    this.#listen();
    return scope;
  }

  /** Records the events of every scope in the process (and of tokens' failing callbacks). */
  recordAll(): this {
    this.#all = true;
    this.#listen();
    return this;
  }

  /** Stops listening (idempotent). What was recorded stays readable. */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  /** Forgets the recorded events (keeps listening). */
  clear(): void {
    this.#events.length = 0;
  }

  /** The events of one operation, oldest first. */
  eventsFor(operation: OperationRef): RecordedEvent[] {
    const id = idOf(operation);
    return this.#events.filter((event) => event.operationId === id);
  }

  /** The events of one type, oldest first. */
  eventsOfType(type: RecordedEventType): RecordedEvent[] {
    checkType(type);
    return this.#events.filter((event) => event.type === type);
  }

  /**
   * Returns the most recent `type` event of `operation` whose data matches `match` (a predicate on the
   * event, or expected values of `data` keys; a RegExp matches a string), or throws an AssertionError
   * listing what was recorded for that operation.
   * @example
   * ```ts
   * recorder.assertEventOccurred(scope, 'progress', { message: /50%/ });
   * ```
   */
  assertEventOccurred(
    operation: OperationRef,
    type: RecordedEventType,
    match?: EventMatcher,
  ): RecordedEvent {
    checkType(type);
    const id = idOf(operation);
    const found = this.#find(id, type, match);
    if (found !== undefined) return found;
    const suffix = match === undefined ? '' : ` matching ${show(match)}`;
    throw new AssertionError({
      message: `Expected a '${type}' event for ${describeOperation(operation)}${suffix}; recorded for it: ${this.#summary(id)}`,
      actual: this.eventsFor(id).map(brief),
      expected: { type, ...(typeof match === 'object' ? { data: match } : {}) },
      operator: 'assertEventOccurred',
    });
  }

  /** Throws an AssertionError if a matching `type` event of `operation` was recorded. */
  assertEventNotOccurred(
    operation: OperationRef,
    type: RecordedEventType,
    match?: EventMatcher,
  ): void {
    checkType(type);
    const id = idOf(operation);
    const found = this.#find(id, type, match);
    if (found === undefined) return;
    throw new AssertionError({
      message: `Expected no '${type}' event for ${describeOperation(operation)}, got ${show(brief(found))}`,
      actual: brief(found),
      expected: undefined,
      operator: 'assertEventNotOccurred',
    });
  }

  /**
   * Throws an AssertionError unless `operation` ended with `status` (`completed`, `cancelled` or `failed`).
   * @example
   * ```ts
   * recorder.assertFinalStatus(scope, 'cancelled');
   * ```
   */
  assertFinalStatus(operation: OperationRef, status: OperationStatus): void {
    const id = idOf(operation);
    const end = this.#find(id, 'end', undefined);
    if (end === undefined) {
      const current = typeof operation === 'string' ? 'unknown' : operation.status;
      throw new AssertionError({
        message: `Expected ${describeOperation(operation)} to end '${status}', but no end was recorded (status now: ${current}); recorded for it: ${this.#summary(id)}`,
        actual: current,
        expected: status,
        operator: 'assertFinalStatus',
      });
    }
    const actual = end.data.status;
    if (actual === status) return;
    const error = end.data.error;
    const why = error === undefined ? '' : ` with ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`;
    throw new AssertionError({
      message: `Expected ${describeOperation(operation)} to end '${status}', but it ended '${String(actual)}'${why}`,
      actual,
      expected: status,
      operator: 'assertFinalStatus',
    });
  }

  /**
   * Resolves with the first `type` event (of `operation`, if given, and matching `match`, if given)
   * already recorded or recorded later. Has no timeout of its own: the test's timeout applies.
   * @example
   * ```ts
   * await recorder.waitForEvent('progress', { operation: scope, match: { message: 'Step 3/10' } });
   * token.cancel();
   * ```
   */
  waitForEvent(
    type: RecordedEventType,
    options?: { operation?: OperationRef; match?: EventMatcher },
  ): Promise<RecordedEvent> {
    checkType(type);
    checkKnownKeys('options', options, new Set(['operation', 'match']));
    const id = options?.operation === undefined ? undefined : idOf(options.operation);
    const match = options?.match;
    const existing = this.#events.find((event) => fits(event, id, type, match));
    if (existing !== undefined) return Promise.resolve(existing);
    if (!this.isRecording) {
      return Promise.reject(new Error('waitForEvent(): the recorder is not recording (attach a scope or call recordAll())'));
    }
    return new Promise<RecordedEvent>((resolve) => {
      (this.#waiters ??= new Set()).add({ type, id, match, resolve });
    });
  }

  #find(
    id: string,
    type: RecordedEventType,
    match: EventMatcher | undefined,
  ): RecordedEvent | undefined {
    for (let i = this.#events.length - 1; i >= 0; i--) {
      const event = this.#events[i] as RecordedEvent;
      if (fits(event, id, type, match)) return event;
    }
    return undefined;
  }

  #summary(id: string): string {
    const events = this.eventsFor(id);
    if (events.length === 0) return this.#events.length === 0 ? 'nothing (no event at all)' : 'nothing';
    return events.map((event) => `${event.type}${summaryData(event)}`).join(', ');
  }

  #listen(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = subscribeDiagnostics({
      start: (event: StartDiagnostic) => this.#record('start', event.scope, {}),
      progress: (event: ProgressDiagnostic) =>
        this.#record('progress', event.scope, { message: event.message, metadata: event.metadata }),
      cancel: (event: CancelDiagnostic) =>
        this.#record('cancel', event.scope, {
          reason: event.reason,
          message: event.message,
          source: event.source?.name,
          error: event.error,
        }),
      end: (event: EndDiagnostic) =>
        this.#record('end', event.scope, {
          status: event.status,
          durationMs: event.durationMs,
          error: event.error,
          context: event.scope.context,
        }),
      callbackError: (event: CallbackErrorDiagnostic) =>
        this.#record('callback-error', event.scope, { callback: event.callback, error: event.error }),
      sourceError: (event: SourceErrorDiagnostic) =>
        this.#record('source-error', event.scope, { source: event.source.name, phase: event.phase, error: event.error }),
      abandoned: (event: AbandonedDiagnostic) =>
        this.#record('abandoned', event.scope, { outcome: event.outcome, value: event.value, graceMs: event.graceMs }),
    });
  }

  #wants(scope: Cancelable | undefined): boolean {
    if (this.#all) return true;
    if (scope === undefined) return false;
    if (this.#scopes.has(scope)) return true;
    for (let ancestor = scope.parent; ancestor !== undefined; ancestor = ancestor.parent) {
      if (this.#scopes.get(ancestor) === true) return true;
    }
    return false;
  }

  #record(type: RecordedEventType, scope: Cancelable | undefined, data: Record<string, unknown>): void {
    if (!this.#wants(scope)) return;
    const event: RecordedEvent = {
      type,
      operationId: scope?.id ?? null,
      name: scope?.name ?? null,
      at: (scope?.clock ?? getDefaultClock()).now(),
      index: this.#events.length,
      data,
    };
    this.#events.push(event);
    const waiters = this.#waiters;
    if (waiters === undefined) return;
    for (const waiter of waiters) {
      if (fits(event, waiter.id, waiter.type, waiter.match)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }
}

function fits(
  event: RecordedEvent,
  id: string | undefined,
  type: RecordedEventType,
  match: EventMatcher | undefined,
): boolean {
  if (event.type !== type || (id !== undefined && event.operationId !== id)) return false;
  if (match === undefined) return true;
  if (typeof match === 'function') return match(event);
  return matches(event.data, match);
}

function idOf(operation: OperationRef): string {
  if (typeof operation === 'string') return operation;
  if (operation instanceof Cancelable) return operation.id;
  throw new TypeError(`operation must be a Cancelable or an operation id, got ${describeValue(operation)}`);
}

function checkType(type: unknown): void {
  if (!eventTypes.includes(type as RecordedEventType)) {
    throw new TypeError(`type must be one of ${eventTypes.join(', ')}; got ${describeValue(type)}`);
  }
}

function describeOperation(operation: OperationRef): string {
  return typeof operation === 'string' ? `operation ${operation}` : `'${operation.name}' (${operation.id})`;
}

function brief(event: RecordedEvent): { type: RecordedEventType; data: Record<string, unknown> } {
  const { context: _context, ...data } = event.data as Record<string, unknown>;
  return { type: event.type, data };
}

function summaryData(event: RecordedEvent): string {
  const data = event.data;
  switch (event.type) {
    case 'progress':
      return `(${show(data.message)})`;
    case 'cancel':
      return `(${String(data.reason)}: ${show(data.message)})`;
    case 'end':
      return `(${String(data.status)})`;
    case 'callback-error':
      return `(${String(data.callback)})`;
    case 'source-error':
      return `(${String(data.source)} in ${String(data.phase)})`;
    case 'abandoned':
      return `(${String(data.outcome)})`;
    default:
      return '';
  }
}
