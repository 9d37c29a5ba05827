/**
 * `cancelable-ts/otel`: scopes in OpenTelemetry traces and metrics (SPEC §12). `@opentelemetry/api`
 * is an optional peer dependency: this entry imports only its types, and uses the API object, tracer
 * and meter you pass.
 *
 * @packageDocumentation
 */
export { instrument, uninstrument } from './instrument.js';
export type { Instrumentation } from './instrument.js';
export { INSTRUMENTATION_NAME } from './options.js';
export type { InstrumentOptions, OtelApi, SpanMode } from './options.js';
export { attributeNames, eventNames } from './spans.js';
export { metricNames } from './metrics.js';
