/** An OpenTelemetry SDK wired in memory: spans to an InMemorySpanExporter, metrics to a pull reader. */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A metric reader collected on demand (no timer). */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface Sdk {
  api: typeof api;
  tracer: api.Tracer;
  meter: api.Meter;
  exporter: InMemorySpanExporter;
  contextManager: AsyncLocalStorageContextManager;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  metric(name: string): MetricData | undefined;
  points(name: string): DataPoint<number | Histogram>[];
  /** Collects the metrics recorded so far (call before `metric()` / `points()`). */
  collect(): Promise<void>;
  shutdown(): Promise<void>;
}

export function startSdk(): Sdk {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  let collected: MetricData[] = [];
  const sdk: Sdk = {
    api,
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    exporter,
    contextManager,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, got ${found.length}`);
      return found[0]!;
    },
    metric: (name) => collected.find((m) => m.descriptor.name === name),
    points: (name) => (collected.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as DataPoint<number | Histogram>[],
    async collect() {
      const { resourceMetrics } = await reader.collect();
      collected = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      api.context.disable();
    },
  };
  return sdk;
}
