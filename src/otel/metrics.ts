import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import type { AbandonedDiagnostic, CancelScope, EndDiagnostic } from '../index.js';
import { attributeNames } from './spans.js';

/**
 * Names of the instruments the instrumentation creates.
 * @example
 * ```ts
 * // a view that keeps only the histogram's name and status attributes
 * new View({ instrumentName: metricNames.duration, attributeKeys: ['cancelable.operation.name', 'cancelable.operation.status'] });
 * ```
 */
export const metricNames = {
  duration: 'cancelable.operation.duration',
  active: 'cancelable.operation.active',
  cancelled: 'cancelable.operation.cancelled',
  abandoned: 'cancelable.operation.abandoned',
} as const;

// Durations in seconds (OpenTelemetry's convention), from 1 ms to 5 minutes.
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The metrics of SPEC §12: `cancelable.operation.duration` (histogram, seconds; name, status, and the
 * reason of cancelled runs), `cancelable.operation.active` (up-down counter; name),
 * `cancelable.operation.cancelled` (counter; name, reason) and `cancelable.operation.abandoned`
 * (counter; name).
 */
export class MetricsRecorder {
  readonly #duration: Histogram;
  readonly #active: UpDownCounter;
  readonly #cancelled: Counter;
  readonly #abandoned: Counter;
  /** Scopes counted as active: a scope that started before `instrument()` is never decremented. */
  readonly #counted = new WeakSet<CancelScope>();

  constructor(meter: Meter) {
    this.#duration = meter.createHistogram(metricNames.duration, {
      description: 'How long cancelable operations ran, by outcome',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.#active = meter.createUpDownCounter(metricNames.active, {
      description: 'CancelScope operations running now',
      unit: '{operation}',
    });
    this.#cancelled = meter.createCounter(metricNames.cancelled, {
      description: 'CancelScope operations that ended cancelled, by reason',
      unit: '{operation}',
    });
    this.#abandoned = meter.createCounter(metricNames.abandoned, {
      description: 'Bodies that ignored a cancellation past their grace period',
      unit: '{operation}',
    });
  }

  started(scope: CancelScope): void {
    this.#counted.add(scope);
    this.#active.add(1, { [attributeNames.operationName]: scope.name });
  }

  ended(event: EndDiagnostic): void {
    const { scope, status } = event;
    const name = scope.name;
    if (this.#counted.delete(scope)) this.#active.add(-1, { [attributeNames.operationName]: name });
    const attributes: Attributes = { [attributeNames.operationName]: name, [attributeNames.status]: status };
    if (status === 'cancelled') {
      const reason = reasonOf(event.error) ?? scope.cancelError?.reason;
      if (reason !== undefined) attributes[attributeNames.cancelReason] = reason;
      this.#cancelled.add(1, { [attributeNames.operationName]: name, [attributeNames.cancelReason]: reason ?? 'unknown' });
    }
    this.#duration.record(Math.max(0, event.durationMs) / 1000, attributes);
  }

  abandoned(event: AbandonedDiagnostic): void {
    if (event.outcome === 'pending') this.#abandoned.add(1, { [attributeNames.operationName]: event.scope.name });
  }
}

function reasonOf(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : undefined;
}
