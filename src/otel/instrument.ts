import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { runTracing, subscribeDiagnostics, type RunTraceContext } from '../index.js';
import { findContextStorage } from './context-storage.js';
import { MetricsRecorder } from './metrics.js';
import { resolveOptions, type InstrumentOptions, type ResolvedOptions, type SpanMode } from './options.js';
import { SpanRecorder } from './spans.js';

/** A running instrumentation, returned by {@link instrument}. */
export interface Instrumentation {
  /** What is recorded as spans (`undefined` without a tracer: metrics only). */
  readonly spans: SpanMode | undefined;
  /** Whether metrics are recorded. */
  readonly metrics: boolean;
  /**
   * Whether a scope's span is the active context inside its body (the context manager's
   * AsyncLocalStorage is bound to the `tracing:cancelable.run` channel).
   */
  readonly contextBound: boolean;
  /** Same as the module's {@link uninstrument}, for this instrumentation. Idempotent. */
  uninstrument(): void;
}

let current: ActiveInstrumentation | undefined;

/**
 * Records scopes in OpenTelemetry: spans (with the status mapping of SPEC §12), events on the active
 * span, and metrics. Subscribes to the library's diagnostics channels and binds the context manager's
 * storage to `tracing:cancelable.run`, so that a scope's span is the active span inside its body and
 * spans of scopes started there are its children. One instrumentation at a time: call
 * {@link uninstrument} before instrumenting again.
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * import { instrument } from 'cancelable-ts/otel';
 * instrument({ api }); // the global tracer and meter, spans for named scopes
 * ```
 */
export function instrument(options: InstrumentOptions): Instrumentation {
  const resolved = resolveOptions(options);
  if (current !== undefined) {
    throw new Error('cancelable-ts/otel is already instrumented: call uninstrument() before instrumenting again');
  }
  current = new ActiveInstrumentation(resolved);
  return current;
}

/**
 * Removes every subscription {@link instrument} made (channels and the bound storage) and ends the
 * spans still open. Nothing is recorded afterwards. Does nothing when not instrumented.
 * @example
 * ```ts
 * import { uninstrument } from 'cancelable-ts/otel';
 * uninstrument();
 * ```
 */
export function uninstrument(): void {
  current?.uninstrument();
}

/** Calls `fn`, swallowing what it throws: a broken exporter or meter must never break a scope. */
function guarded<A>(fn: (arg: A) => void): (arg: A) => void {
  return (arg) => {
    try {
      fn(arg);
    } catch {
      // Telemetry is best effort.
    }
  };
}

class ActiveInstrumentation implements Instrumentation {
  readonly spans: SpanMode | undefined;
  readonly metrics: boolean;
  readonly #options: ResolvedOptions;
  readonly #spanRecorder: SpanRecorder | undefined;
  readonly #metricsRecorder: MetricsRecorder | undefined;
  readonly #unsubscribe: () => void;
  #storage: AsyncLocalStorage<Context> | undefined;
  #active = true;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    const { api, tracer, meter } = options;
    this.#spanRecorder = api !== undefined && tracer !== undefined ? new SpanRecorder(api, tracer, options.spans) : undefined;
    this.#metricsRecorder = meter !== undefined ? new MetricsRecorder(meter) : undefined;
    this.spans = this.#spanRecorder === undefined ? undefined : options.spans;
    this.metrics = this.#metricsRecorder !== undefined;
    const spans = this.#spanRecorder;
    const metrics = this.#metricsRecorder;
    this.#unsubscribe = subscribeDiagnostics({
      start: guarded(({ scope }) => {
        if (spans !== undefined) {
          if (this.#storage === undefined && spans.wants(scope)) this.#bindStorage();
          spans.started(scope);
        }
        metrics?.started(scope);
      }),
      cancel: guarded((event) => spans?.cancelled(event)),
      abandoned: guarded((event) => {
        spans?.abandoned(event);
        metrics?.abandoned(event);
      }),
      end: guarded((event) => {
        spans?.ended(event);
        metrics?.ended(event);
      }),
    });
    if (spans !== undefined && options.spans !== 'events') this.#bindStorage();
  }

  get contextBound(): boolean {
    return this.#storage !== undefined;
  }

  uninstrument(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#unsubscribe();
    if (this.#storage !== undefined) runTracing.start.unbindStore?.(this.#storage);
    this.#storage = undefined;
    this.#spanRecorder?.close();
    if (current === this) current = undefined;
  }

  /**
   * Binds the context manager's storage to the run channel, once one is registered (the SDK may be
   * started after `instrument()`: then the next scope start binds it).
   */
  #bindStorage(): void {
    const spans = this.#spanRecorder;
    const api = this.#options.api;
    if (spans === undefined || api === undefined || this.#storage !== undefined || this.#options.spans === 'events') return;
    const storage = findContextStorage(api, this.#options.contextManager);
    if (storage === undefined) return;
    this.#storage = storage;
    runTracing.start.bindStore?.(storage, (message: unknown) => {
      try {
        return spans.contextForRun(message as RunTraceContext);
      } catch {
        return api.context.active();
      }
    });
  }
}

