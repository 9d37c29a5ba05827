/**
 * cancelable-ts/otel, metrics and lifecycle: the four instruments of SPEC §12 read through the SDK's
 * MeterProvider; uninstrument() removes every subscription; bad options are refused at the call.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ContextManager } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cancelable, channelNames, runTracing } from '../../src/index.js';
import { instrument, metricNames, uninstrument } from '../../src/otel/index.js';
import { startSdk, type Sdk } from './helpers.js';

let sdk: Sdk;
beforeAll(() => {
  sdk = startSdk();
});
afterAll(async () => {
  await sdk.shutdown();
});
afterEach(() => {
  uninstrument();
  sdk.exporter.reset();
});

const swallow = (): undefined => undefined;

describe('metrics', () => {
  it('duration by name, status and reason; active goes up and back down; cancelled by reason; abandoned', async () => {
    instrument({ api: sdk.api, meter: sdk.meter });
    let releaseSlow: () => void = () => {};
    const slow = new Cancelable({ name: 'metered' }).run(() => new Promise<void>((resolve) => (releaseSlow = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    await sdk.collect();
    expect(sdk.points(metricNames.active).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'cancelable.operation.name': 'metered' }, 1],
    ]);
    releaseSlow();
    await slow;
    await Cancelable.withTimeout(5, { name: 'metered' }).run((s) => s.sleep(10_000)).catch(swallow);
    const manual = new Cancelable({ name: 'metered' });
    const manualRun = manual.run((s) => s.sleep(10_000)).catch(swallow);
    manual.cancel();
    await manualRun;
    let release: () => void = () => {};
    const stubborn = new Cancelable({ name: 'stubborn', graceMs: 5 });
    const stubbornRun = stubborn.run(() => new Promise<void>((resolve) => (release = resolve))).catch(swallow);
    stubborn.cancel();
    await stubbornRun;
    release();

    await sdk.collect();
    expect(sdk.metric(metricNames.duration)?.descriptor.unit).toBe('s');
    const durations = sdk.points(metricNames.duration).map((p) => ({ attributes: p.attributes, count: (p.value as Histogram).count }));
    expect(durations).toEqual(
      expect.arrayContaining([
        { attributes: { 'cancelable.operation.name': 'metered', 'cancelable.operation.status': 'completed' }, count: 1 },
        {
          attributes: { 'cancelable.operation.name': 'metered', 'cancelable.operation.status': 'cancelled', 'cancelable.cancel.reason': 'timeout' },
          count: 1,
        },
        {
          attributes: { 'cancelable.operation.name': 'metered', 'cancelable.operation.status': 'cancelled', 'cancelable.cancel.reason': 'manual' },
          count: 1,
        },
      ]),
    );
    expect(durations).toHaveLength(4);
    const timeoutPoint = sdk
      .points(metricNames.duration)
      .find((p) => p.attributes['cancelable.cancel.reason'] === 'timeout')!.value as Histogram;
    expect(timeoutPoint.sum).toBeGreaterThan(0.004); // seconds, not milliseconds
    expect(timeoutPoint.sum).toBeLessThan(5);
    expect(sdk.points(metricNames.active).map((p) => [p.attributes['cancelable.operation.name'], p.value]).sort()).toEqual([
      ['metered', 0],
      ['stubborn', 0],
    ]);
    expect(sdk.points(metricNames.cancelled).map((p) => [p.attributes, p.value])).toEqual(
      expect.arrayContaining([
        [{ 'cancelable.operation.name': 'metered', 'cancelable.cancel.reason': 'timeout' }, 1],
        [{ 'cancelable.operation.name': 'metered', 'cancelable.cancel.reason': 'manual' }, 1],
        [{ 'cancelable.operation.name': 'stubborn', 'cancelable.cancel.reason': 'manual' }, 1],
      ]),
    );
    expect(sdk.points(metricNames.abandoned).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'cancelable.operation.name': 'stubborn' }, 1],
    ]);
  });

  it('a scope that started before instrument() is not counted down as active', async () => {
    let release: () => void = () => {};
    const early = new Cancelable({ name: 'early-bird' }).run(() => new Promise<void>((resolve) => (release = resolve)));
    instrument({ api: sdk.api, meter: sdk.meter });
    release();
    await early;
    await sdk.collect();
    const active = sdk.points(metricNames.active).find((p) => p.attributes['cancelable.operation.name'] === 'early-bird');
    expect(active?.value ?? 0).toBe(0);
  });
});

describe('uninstrument()', () => {
  const channelsWithSubscribers = (): string[] =>
    [...Object.values(channelNames), 'tracing:cancelable.run:start'].filter((name) => diagnosticsChannel.hasSubscribers(name));

  it('removes every subscription and bound store: nothing is recorded afterwards', async () => {
    expect(channelsWithSubscribers()).toEqual([]);
    const instrumentation = instrument({ api: sdk.api, tracer: sdk.tracer, meter: sdk.meter, spans: 'all' });
    expect(channelsWithSubscribers().sort()).toEqual(
      ['cancelable:abandoned', 'cancelable:cancel', 'cancelable:end', 'cancelable:start', 'tracing:cancelable.run:start'].sort(),
    );
    expect(runTracing.hasSubscribers).toBe(true);
    await new Cancelable({ name: 'before' }).run(() => 1);
    instrumentation.uninstrument();
    expect(channelsWithSubscribers()).toEqual([]);
    expect(runTracing.hasSubscribers).toBe(false);
    await new Cancelable({ name: 'after' }).run(async () => {
      expect(sdk.api.trace.getActiveSpan()).toBeUndefined();
    });
    expect(sdk.spans().map((s) => s.name)).toEqual(['before']);
    instrumentation.uninstrument(); // idempotent
    uninstrument();
  });

  it('ends the spans still open, so they are exported rather than lost', async () => {
    instrument({ api: sdk.api, tracer: sdk.tracer });
    let release: () => void = () => {};
    const run = new Cancelable({ name: 'in-flight' }).run(() => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    uninstrument();
    expect(sdk.spans().map((s) => s.name)).toEqual(['in-flight']);
    release();
    await run;
    expect(sdk.spans()).toHaveLength(1);
  });

  it('instrument() twice without uninstrument() is refused; afterwards it works again', () => {
    instrument({ api: sdk.api });
    expect(() => instrument({ api: sdk.api })).toThrow(/already instrumented/);
    uninstrument();
    expect(instrument({ api: sdk.api }).spans).toBe('named');
  });
});

describe('options', () => {
  it('refuses unknown keys, bad values and a tracer without the API, naming the key', () => {
    expect(() => instrument({ api: sdk.api, span: 'all' } as never)).toThrow(/options\.span is not an option/);
    expect(() => instrument({ api: sdk.api, spans: 'some' as never })).toThrow(/options\.spans must be one of named, all, events; got "some"/);
    expect(() => instrument({ api: {} as never })).toThrow(/options\.api must be the @opentelemetry\/api module/);
    expect(() => instrument({ api: sdk.api, tracer: {} as never })).toThrow(/options\.tracer must be an OpenTelemetry Tracer/);
    expect(() => instrument({ api: sdk.api, meter: 42 as never })).toThrow(/options\.meter must be an OpenTelemetry Meter, got 42/);
    expect(() => instrument({ tracer: sdk.tracer })).toThrow(/options\.api is required with options\.tracer/);
    expect(() => instrument({})).toThrow(TypeError);
    expect(() => instrument(null as never)).toThrow(/options must be an object/);
  });

  it('metrics only: a meter without the API records no spans', async () => {
    const instrumentation = instrument({ meter: sdk.meter });
    expect(instrumentation.spans).toBeUndefined();
    expect(instrumentation.metrics).toBe(true);
    await new Cancelable({ name: 'quiet' }).run(() => 1);
    expect(sdk.spans()).toEqual([]);
  });

  it('a context manager without AsyncLocalStorage: spans are recorded and parented by the scope tree, not made active', async () => {
    const plain: ContextManager = {
      active: () => sdk.api.context.active(),
      with: (context, fn, thisArg, ...args) => sdk.contextManager.with(context, fn, thisArg, ...args),
      bind: (context, target) => sdk.contextManager.bind(context, target),
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    };
    const instrumentation = instrument({ api: sdk.api, tracer: sdk.tracer, contextManager: plain });
    expect(instrumentation.contextBound).toBe(false);
    let active: unknown = 'unset';
    await new Cancelable({ name: 'outer-plain' }).run(() =>
      new Cancelable({ name: 'inner-plain' }).run(() => {
        active = sdk.api.trace.getActiveSpan();
      }),
    );
    expect(active).toBeUndefined();
    expect(sdk.span('inner-plain').parentSpanContext?.spanId).toBe(sdk.span('outer-plain').spanContext().spanId);
  });
});
