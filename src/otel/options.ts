import type { ContextAPI, ContextManager, Meter, MetricsAPI, TraceAPI, Tracer } from '@opentelemetry/api';

/**
 * What {@link instrument} records as spans: see {@link InstrumentOptions.spans}.
 * @example
 * ```ts
 * instrument({ api, spans: 'events' satisfies SpanMode });
 * ```
 */
export type SpanMode = 'named' | 'all' | 'events';

/**
 * The parts of the `@opentelemetry/api` module the instrumentation uses: pass the module itself
 * (`import * as api from '@opentelemetry/api'`). The library never imports it, so that importing
 * `cancelable-ts/otel` does not require the peer.
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * instrument({ api });
 * ```
 */
export interface OtelApi {
  readonly trace: TraceAPI;
  readonly context: ContextAPI;
  readonly metrics?: MetricsAPI;
}

/**
 * Options of {@link instrument}.
 * @example
 * ```ts
 * import * as api from '@opentelemetry/api';
 * const options: InstrumentOptions = { api, spans: 'all' };
 * ```
 */
export interface InstrumentOptions {
  /**
   * The `@opentelemetry/api` module. Required to record spans (it holds the active context); it also
   * supplies the tracer and meter when they are not given (`cancelable-ts` as the scope name).
   */
  api?: OtelApi;
  /** The tracer spans are recorded with. Default: `api.trace.getTracer('cancelable-ts')`. */
  tracer?: Tracer;
  /** The meter the metrics are recorded with. Default: `api.metrics.getMeter('cancelable-ts')`; none without `api`. */
  meter?: Meter;
  /**
   * `'named'` (default): a span for each scope given a name (not the default `'operation'`); the
   * cancellations of unnamed scopes become events on the active span. `'all'`: a span for every scope.
   * `'events'`: no spans, only `cancelable.cancel` / `cancelable.abandoned` events on the span that
   * was active when each scope started.
   */
  spans?: SpanMode;
  /**
   * The context manager whose storage makes a scope's span active inside its body. Default: the one
   * registered with `api.context` (the SDK's `AsyncLocalStorageContextManager` on Node).
   */
  contextManager?: ContextManager;
}

/** @internal Options checked and completed. */
export interface ResolvedOptions {
  api: OtelApi | undefined;
  tracer: Tracer | undefined;
  meter: Meter | undefined;
  spans: SpanMode;
  contextManager: ContextManager | undefined;
}

const KEYS = new Set(['api', 'tracer', 'meter', 'spans', 'contextManager']);
const MODES: readonly SpanMode[] = ['named', 'all', 'events'];
/**
 * The instrumentation scope name given to the default tracer and meter.
 * @example
 * ```ts
 * instrument({ api, tracer: api.trace.getTracer(INSTRUMENTATION_NAME, '1.0.0') });
 * ```
 */
export const INSTRUMENTATION_NAME = 'cancelable-ts';

/** Short rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return 'an object';
}

function hasMethods(value: unknown, ...names: string[]): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  return names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/** @internal Validates {@link InstrumentOptions}; throws a TypeError naming the bad key. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object ({ api?, tracer?, meter?, spans? }), got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`options.${key} is not an option of instrument(); expected one of ${[...KEYS].join(', ')}`);
  }
  const given = options as InstrumentOptions;
  const api = given.api;
  if (api !== undefined && !(hasMethods(api.trace, 'getTracer', 'setSpan', 'getSpan') && hasMethods(api.context, 'active', 'with'))) {
    throw new TypeError(`options.api must be the @opentelemetry/api module (import * as api from '@opentelemetry/api'), got ${describe(api)}`);
  }
  if (given.tracer !== undefined && !hasMethods(given.tracer, 'startSpan')) {
    throw new TypeError(`options.tracer must be an OpenTelemetry Tracer, got ${describe(given.tracer)}`);
  }
  if (given.meter !== undefined && !hasMethods(given.meter, 'createHistogram', 'createCounter', 'createUpDownCounter')) {
    throw new TypeError(`options.meter must be an OpenTelemetry Meter, got ${describe(given.meter)}`);
  }
  if (given.contextManager !== undefined && !hasMethods(given.contextManager, 'active', 'with')) {
    throw new TypeError(`options.contextManager must be an OpenTelemetry ContextManager, got ${describe(given.contextManager)}`);
  }
  const spans = given.spans ?? 'named';
  if (!MODES.includes(spans)) throw new TypeError(`options.spans must be one of ${MODES.join(', ')}; got ${describe(spans)}`);
  if (given.tracer !== undefined && api === undefined) {
    throw new TypeError(
      "options.api is required with options.tracer: spans need the context API (import * as api from '@opentelemetry/api'; instrument({ api, tracer }))",
    );
  }
  const tracer = given.tracer ?? api?.trace.getTracer(INSTRUMENTATION_NAME);
  const meter = given.meter ?? api?.metrics?.getMeter(INSTRUMENTATION_NAME);
  if (tracer === undefined && meter === undefined) {
    throw new TypeError('instrument() needs options.api (import * as api from \'@opentelemetry/api\'), a tracer or a meter');
  }
  return { api, tracer, meter, spans, contextManager: given.contextManager };
}
