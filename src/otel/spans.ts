import type { Attributes, Context, Span, SpanKind, SpanStatusCode, Tracer } from '@opentelemetry/api';
import {
  Cancelable,
  type CancelScope,
  type AbandonedDiagnostic,
  type CancelDiagnostic,
  type EndDiagnostic,
  type RunTraceContext,
} from '../index.js';
import type { OtelApi, SpanMode } from './options.js';

// Enum values of @opentelemetry/api, written out: the entry only imports the API's types.
const SPAN_KIND_INTERNAL = 0 as SpanKind.INTERNAL;
const STATUS_ERROR = 2 as SpanStatusCode.ERROR;
/** The name a scope gets when none is given: such scopes are "unnamed" in `'named'` mode. */
const DEFAULT_SCOPE_NAME = 'operation';
/** How far up the scope tree to look for an ancestor's span (a bound, for 10k-deep chains). */
const MAX_ANCESTOR_HOPS = 128;

/**
 * Attribute keys of the spans, events and metrics.
 * @example
 * ```ts
 * span.attributes[attributeNames.cancelReason]; // 'timeout' on a `cancelable.cancel` event
 * ```
 */
export const attributeNames = {
  operationId: 'cancelable.operation.id',
  operationName: 'cancelable.operation.name',
  parentId: 'cancelable.operation.parent_id',
  status: 'cancelable.operation.status',
  cancelReason: 'cancelable.cancel.reason',
  cancelMessage: 'cancelable.cancel.message',
  parentReason: 'cancelable.cancel.parent_reason',
  graceMs: 'cancelable.grace_ms',
  errorType: 'error.type',
} as const;

/**
 * Event names added to spans.
 * @example
 * ```ts
 * span.events.filter((event) => event.name === eventNames.cancel);
 * ```
 */
export const eventNames = { cancel: 'cancelable.cancel', abandoned: 'cancelable.abandoned' } as const;

interface ScopeRecord {
  /** The scope's own span ('named'/'all'), or undefined. */
  span: Span | undefined;
  /** The span that was active when the scope started: where its events go when it has no span. */
  host: Span | undefined;
  /** The span chosen as parent when the span was created before the scope resolved its parent. */
  assumedParent: CancelScope | undefined;
  cancelNoted: boolean;
}

/**
 * Records scopes as spans (SPEC §12): completed → status unset; cancelled for an intentional reason →
 * status unset and a `cancelable.cancel` event; `timeout` → ERROR with `error.type=timeout`; failed →
 * ERROR with the exception recorded; abandoned after the grace period → a `cancelable.abandoned` event.
 */
export class SpanRecorder {
  readonly #api: OtelApi;
  readonly #tracer: Tracer;
  readonly #mode: SpanMode;
  readonly #records = new WeakMap<CancelScope, ScopeRecord>();
  /** Spans started and not yet ended, ended by {@link SpanRecorder.close}. */
  readonly #open = new Set<Span>();

  constructor(api: OtelApi, tracer: Tracer, mode: SpanMode) {
    this.#api = api;
    this.#tracer = tracer;
    this.#mode = mode;
  }

  /** Whether this scope gets a span of its own. */
  wants(scope: CancelScope): boolean {
    return this.#mode === 'all' || (this.#mode === 'named' && scope.name !== DEFAULT_SCOPE_NAME);
  }

  /**
   * The `bindStore` transform of `tracing:cancelable.run:start`: starts the scope's span under the
   * active context and returns the context the body runs in (the same one for a scope without span).
   */
  contextForRun(trace: RunTraceContext): Context {
    const active = this.#api.context.active();
    const scope = trace.scope;
    if (!this.wants(scope) || this.#records.has(scope)) return active;
    const span = this.#startSpan(scope, active);
    this.#records.set(scope, { span, host: undefined, assumedParent: Cancelable.current(), cancelNoted: false });
    return this.#api.trace.setSpan(active, span);
  }

  /** `cancelable:start`: the scope resolved its parent; spans of `enter()` scopes start here. */
  started(scope: CancelScope): void {
    const parent = scope.parent;
    let record = this.#records.get(scope);
    if (record === undefined) {
      const active = this.#api.context.active();
      if (this.wants(scope)) {
        const ancestor = this.#ancestorSpan(parent);
        const span = this.#startSpan(scope, ancestor === undefined ? active : this.#api.trace.setSpan(active, ancestor));
        record = { span, host: undefined, assumedParent: parent, cancelNoted: false };
      } else {
        record = { span: undefined, host: this.#api.trace.getSpan(active), assumedParent: parent, cancelNoted: false };
      }
      this.#records.set(scope, record);
    } else if (record.span !== undefined && parent !== record.assumedParent) {
      // An explicit `parent` from another async context: the span already has the context's parent;
      // link it to the scope tree's one.
      const ancestor = this.#ancestorSpan(parent);
      if (ancestor !== undefined) record.span.addLink?.({ context: ancestor.spanContext() });
    }
    if (parent !== undefined) record.span?.setAttribute(attributeNames.parentId, parent.id);
  }

  /** `cancelable:cancel`: the cancellation was requested (the event carries its time). */
  cancelled(event: CancelDiagnostic): void {
    const record = this.#records.get(event.scope);
    if (record === undefined) return; // cancelled before it started: noted when it ends
    record.cancelNoted = true;
    this.#addEvent(record, event.scope, eventNames.cancel, cancelAttributes(event.error));
  }

  /** `cancelable:abandoned`: the body ignored the cancellation past its grace period. */
  abandoned(event: AbandonedDiagnostic): void {
    if (event.outcome !== 'pending') return; // the late settlement comes after the span ended
    const record = this.#records.get(event.scope);
    if (record !== undefined) this.#addEvent(record, event.scope, eventNames.abandoned, { [attributeNames.graceMs]: event.graceMs });
  }

  /** `cancelable:end`: the status is final; sets the span's status and ends it. */
  ended(event: EndDiagnostic): void {
    const { scope, status, error } = event;
    const record = this.#records.get(scope);
    if (record === undefined) return;
    this.#records.delete(scope);
    const cancelError = reasonCarrier(error) ?? scope.cancelError;
    if (status === 'cancelled' && !record.cancelNoted && cancelError !== undefined) {
      this.#addEvent(record, scope, eventNames.cancel, cancelAttributes(cancelError));
    }
    const span = record.span;
    if (span === undefined) return;
    span.setAttribute(attributeNames.status, status);
    if (status === 'failed') {
      span.recordException(error instanceof Error || typeof error === 'string' ? error : String(error));
      span.setAttribute(attributeNames.errorType, errorType(error));
      span.setStatus({ code: STATUS_ERROR, message: errorMessage(error) });
    } else if (status === 'cancelled' && cancelError?.reason === 'timeout') {
      span.setAttribute(attributeNames.errorType, 'timeout');
      span.setStatus({ code: STATUS_ERROR, message: cancelError.message });
    }
    span.end();
    this.#open.delete(span);
  }

  /** Ends the spans still open (their scopes keep running, unobserved). */
  close(): void {
    for (const span of this.#open) span.end();
    this.#open.clear();
  }

  #startSpan(scope: CancelScope, parent: Context): Span {
    const span = this.#tracer.startSpan(
      scope.name,
      {
        kind: SPAN_KIND_INTERNAL,
        attributes: { [attributeNames.operationId]: scope.id, [attributeNames.operationName]: scope.name },
      },
      parent,
    );
    this.#open.add(span);
    return span;
  }

  #ancestorSpan(scope: CancelScope | undefined): Span | undefined {
    for (let hops = 0; scope !== undefined && hops < MAX_ANCESTOR_HOPS; hops++, scope = scope.parent) {
      const span = this.#records.get(scope)?.span;
      if (span !== undefined) return span;
    }
    return undefined;
  }

  #addEvent(record: ScopeRecord, scope: CancelScope, name: string, attributes: Attributes): void {
    if (record.span !== undefined) {
      record.span.addEvent(name, attributes);
      return;
    }
    const host = record.host;
    // The host span may have ended while the scope ran on (a detached scope): events would be lost.
    if (host === undefined || !host.isRecording()) return;
    host.addEvent(name, { ...attributes, [attributeNames.operationId]: scope.id, [attributeNames.operationName]: scope.name });
  }
}

interface ReasonCarrier {
  readonly reason: string;
  readonly message: string;
  readonly parentReason?: string | undefined;
}

/** A cancellation error (or diagnostic) carrying a reason, or undefined. */
function reasonCarrier(value: unknown): ReasonCarrier | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const reason = (value as { reason?: unknown }).reason;
  return typeof reason === 'string' ? (value as ReasonCarrier) : undefined;
}

function cancelAttributes(source: unknown): Attributes {
  const carrier = reasonCarrier(source);
  if (carrier === undefined) return {};
  const attributes: Attributes = { [attributeNames.cancelReason]: carrier.reason };
  if (typeof carrier.message === 'string') attributes[attributeNames.cancelMessage] = carrier.message;
  if (typeof carrier.parentReason === 'string') attributes[attributeNames.parentReason] = carrier.parentReason;
  return attributes;
}

function errorType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  return typeof error;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}
