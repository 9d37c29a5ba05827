/**
 * cancelable-ts/otel, spans (SPEC §12): one test per row of the status mapping, parent/child spans
 * following the scope tree, the scope's span active inside its body, the three span modes. Recorded
 * with the real SDK (sdk-trace-base) into an InMemorySpanExporter, with the AsyncLocalStorage context
 * manager of @opentelemetry/context-async-hooks.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cancelable, CancelationSource, isCancelation } from '../../src/index.js';
import { instrument, uninstrument, type SpanMode } from '../../src/otel/index.js';
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

function setup(spans?: SpanMode): void {
  const instrumentation = instrument({ api: sdk.api, tracer: sdk.tracer, ...(spans ? { spans } : {}) });
  expect(instrumentation.contextBound).toBe(spans !== 'events');
}

/** Runs `fn`, expecting it to reject with a cancellation; returns the error. */
async function cancelled(run: Promise<unknown>): Promise<unknown> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCancelation(error)).toBe(true);
  return error;
}

function event(span: ReadableSpan, name: string): Record<string, unknown> | undefined {
  return span.events.find((e) => e.name === name)?.attributes;
}

class DisconnectSource extends CancelationSource {
  #timer: NodeJS.Timeout | undefined;
  constructor() {
    super({ reason: 'disconnect', name: 'test disconnect' });
  }
  start(trigger: (message?: string) => void): void {
    this.#timer = setTimeout(() => trigger('The client went away'), 5);
  }
  stop(): void {
    clearTimeout(this.#timer);
  }
}

describe('the status mapping (one test per row)', () => {
  it('completed: status unset, no events, the outcome as an attribute', async () => {
    setup();
    expect(await new Cancelable({ name: 'ok-job' }).run(async () => 7)).toBe(7);
    const span = sdk.span('ok-job');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
    expect(span.attributes).toMatchObject({ 'cancelable.operation.name': 'ok-job', 'cancelable.operation.status': 'completed' });
    expect(span.attributes['cancelable.operation.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('cancelled, manual: status unset, a cancelable.cancel event with the reason and message', async () => {
    setup();
    const scope = new Cancelable({ name: 'manual-job' });
    const run = scope.run((s) => s.sleep(10_000));
    scope.cancel('Stopped by the operator');
    await cancelled(run);
    const span = sdk.span('manual-job');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(span, 'cancelable.cancel')).toEqual({
      'cancelable.cancel.reason': 'manual',
      'cancelable.cancel.message': 'Stopped by the operator',
    });
    expect(span.attributes['cancelable.operation.status']).toBe('cancelled');
  });

  it('cancelled, parent: the child span status unset, its event says parent and the parent reason', async () => {
    setup();
    const parent = new Cancelable({ name: 'parent-job' });
    const run = parent.run(async () => {
      await new Cancelable({ name: 'child-job' }).run((child) => child.sleep(10_000));
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    parent.cancel('Operator stop');
    await cancelled(run);
    const child = sdk.span('child-job');
    expect(child.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(child, 'cancelable.cancel')).toMatchObject({
      'cancelable.cancel.reason': 'parent',
      'cancelable.cancel.parent_reason': 'manual',
    });
    expect(sdk.span('parent-job').status.code).toBe(SpanStatusCode.UNSET);
  });

  it('cancelled, disconnect: status unset, event with reason disconnect', async () => {
    setup();
    await cancelled(new Cancelable({ name: 'request', sources: [new DisconnectSource()] }).run((s) => s.sleep(10_000)));
    const span = sdk.span('request');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(span, 'cancelable.cancel')).toMatchObject({
      'cancelable.cancel.reason': 'disconnect',
      'cancelable.cancel.message': 'The client went away',
    });
  });

  it('cancelled, signal (a real SIGUSR2 to this process): status unset, event with reason signal', async () => {
    setup();
    const run = Cancelable.withSignal('SIGUSR2', { name: 'signalled' }).run((s) => s.sleep(10_000));
    await new Promise((resolve) => setTimeout(resolve, 5));
    process.kill(process.pid, 'SIGUSR2');
    await cancelled(run);
    const span = sdk.span('signalled');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(span, 'cancelable.cancel')?.['cancelable.cancel.reason']).toBe('signal');
  });

  it('cancelled, condition: status unset too (an intentional stop rule)', async () => {
    setup();
    let checks = 0;
    await cancelled(Cancelable.withCondition(() => ++checks >= 2, 5, { name: 'quota' }).run((s) => s.sleep(10_000)));
    const span = sdk.span('quota');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(event(span, 'cancelable.cancel')?.['cancelable.cancel.reason']).toBe('condition');
  });

  it('cancelled, timeout: status ERROR with error.type=timeout', async () => {
    setup();
    await cancelled(Cancelable.withTimeout(5, { name: 'slow-call' }).run((s) => s.sleep(10_000)));
    const span = sdk.span('slow-call');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Operation timed out after 5ms' });
    expect(span.attributes['error.type']).toBe('timeout');
    expect(event(span, 'cancelable.cancel')?.['cancelable.cancel.reason']).toBe('timeout');
    expect(span.events.some((e) => e.name === 'exception')).toBe(false);
  });

  it('failed: status ERROR with the exception recorded and error.type the error class', async () => {
    setup();
    const failure = new RangeError('bad row 12');
    await expect(
      new Cancelable({ name: 'import' }).run(async () => {
        await Promise.resolve();
        throw failure;
      }),
    ).rejects.toBe(failure);
    const span = sdk.span('import');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad row 12' });
    expect(span.attributes['error.type']).toBe('RangeError');
    expect(event(span, 'exception')).toMatchObject({ 'exception.type': 'RangeError', 'exception.message': 'bad row 12' });
  });

  it('abandoned after the grace period: a cancelable.abandoned event (status unset for a manual cancel)', async () => {
    setup();
    let release: () => void = () => {};
    const ignoring = new Promise<void>((resolve) => (release = resolve));
    const scope = new Cancelable({ name: 'stubborn', graceMs: 10 });
    const run = scope.run(() => ignoring); // never looks at the signal
    scope.cancel('Stop now');
    await cancelled(run);
    release();
    const span = sdk.span('stubborn');
    expect(event(span, 'cancelable.abandoned')).toEqual({ 'cancelable.grace_ms': 10 });
    expect(span.events.map((e) => e.name)).toEqual(['cancelable.cancel', 'cancelable.abandoned']);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a cancel requested before start is still recorded as an event when the scope ends', async () => {
    setup();
    const scope = new Cancelable({ name: 'early' });
    scope.cancel('Not needed any more');
    await cancelled(scope.run((s) => s.sleep(10_000)));
    expect(event(sdk.span('early'), 'cancelable.cancel')).toMatchObject({ 'cancelable.cancel.message': 'Not needed any more' });
  });
});

describe('the scope tree', () => {
  it("a child's span is the child of its parent's span; the trace is one", async () => {
    setup();
    await new Cancelable({ name: 'batch' }).run(async () => {
      await Promise.all([1, 2].map((i) => new Cancelable({ name: `item-${i}` }).run(async (s) => s.sleep(1))));
    });
    const batch = sdk.span('batch');
    for (const name of ['item-1', 'item-2']) {
      const item = sdk.span(name);
      expect(item.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
      expect(item.spanContext().traceId).toBe(batch.spanContext().traceId);
      expect(item.attributes['cancelable.operation.parent_id']).toBe(batch.attributes['cancelable.operation.id']);
    }
    expect(batch.parentSpanContext).toBeUndefined();
  });

  it('the spans of scopes continue the trace of the span active when they start', async () => {
    setup();
    await sdk.tracer.startActiveSpan('http-request', async (outer) => {
      await new Cancelable({ name: 'handler' }).run(async (s) => s.sleep(1));
      outer.end();
    });
    expect(sdk.span('handler').parentSpanContext?.spanId).toBe(sdk.span('http-request').spanContext().spanId);
  });

  it("in 'named' mode an unnamed scope has no span: its named child hangs on the nearest named ancestor", async () => {
    setup();
    await new Cancelable({ name: 'outer' }).run(() =>
      new Cancelable().run(() => new Cancelable({ name: 'inner' }).run((s) => s.sleep(1))),
    );
    expect(sdk.spans().map((s) => s.name).sort()).toEqual(['inner', 'outer']);
    expect(sdk.span('inner').parentSpanContext?.spanId).toBe(sdk.span('outer').spanContext().spanId);
  });

  it('the body runs with its scope span active, after awaits too; the previous context comes back after', async () => {
    setup();
    let activeInBody: string | undefined;
    let activeInChild: string | undefined;
    await new Cancelable({ name: 'traced-body' }).run(async (scope) => {
      await scope.sleep(1);
      activeInBody = sdk.api.trace.getActiveSpan()?.spanContext().spanId;
      await new Cancelable({ name: 'traced-child' }).run(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        activeInChild = sdk.api.trace.getActiveSpan()?.spanContext().spanId;
      });
      expect(sdk.api.trace.getActiveSpan()?.spanContext().spanId).toBe(activeInBody);
    });
    expect(activeInBody).toBe(sdk.span('traced-body').spanContext().spanId);
    expect(activeInChild).toBe(sdk.span('traced-child').spanContext().spanId);
    expect(sdk.api.trace.getActiveSpan()).toBeUndefined();
  });

  it('an explicit parent from another async context: the span links to the parent scope span', async () => {
    setup();
    const owner = new Cancelable({ name: 'owner' });
    let release: () => void = () => {};
    const ownerRun = owner.run(() => new Promise<void>((resolve) => (release = resolve)));
    await new Cancelable({ name: 'adopted', parent: owner }).run(async (s) => s.sleep(1));
    release();
    await ownerRun;
    const adopted = sdk.span('adopted');
    expect(adopted.parentSpanContext).toBeUndefined(); // started outside the owner's body
    expect(adopted.links.map((l) => l.context.spanId)).toEqual([sdk.span('owner').spanContext().spanId]);
    expect(adopted.attributes['cancelable.operation.parent_id']).toBe(owner.id);
  });

  it('scopes entered with `await using` get spans too, parented by the scope tree', async () => {
    setup();
    await new Cancelable({ name: 'host' }).run(async () => {
      await using entered = new Cancelable({ name: 'entered' }).enter();
      await entered.sleep(1);
    });
    expect(sdk.span('entered').parentSpanContext?.spanId).toBe(sdk.span('host').spanContext().spanId);
  });
});

describe('span modes', () => {
  it("'all': every scope gets a span, unnamed ones named 'operation'", async () => {
    setup('all');
    await new Cancelable().run(() => new Cancelable({ name: 'x' }).run(() => 1));
    const names = sdk.spans().map((s) => s.name).sort();
    expect(names).toEqual(['operation', 'x']);
    expect(sdk.span('x').parentSpanContext?.spanId).toBe(sdk.span('operation').spanContext().spanId);
  });

  it("'named': the cancellation of an unnamed scope is an event on the active span, which stays unset", async () => {
    setup();
    await sdk.tracer.startActiveSpan('request', async (outer) => {
      await cancelled(Cancelable.withTimeout(5).run((s) => s.sleep(10_000)));
      outer.end();
    });
    expect(sdk.spans().map((s) => s.name)).toEqual(['request']);
    const request = sdk.span('request');
    expect(event(request, 'cancelable.cancel')).toMatchObject({
      'cancelable.cancel.reason': 'timeout',
      'cancelable.operation.name': 'operation',
    });
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("'events': no spans of our own; cancel and abandoned events land on the active span", async () => {
    setup('events');
    await sdk.tracer.startActiveSpan('request', async (outer) => {
      await new Cancelable({ name: 'fine' }).run(() => 1);
      const scope = new Cancelable({ name: 'stubborn', graceMs: 5 });
      let release: () => void = () => {};
      const run = scope.run(() => new Promise<void>((resolve) => (release = resolve)));
      scope.cancel('enough');
      await cancelled(run);
      release();
      outer.end();
    });
    expect(sdk.spans().map((s) => s.name)).toEqual(['request']);
    const request = sdk.span('request');
    expect(request.events.map((e) => [e.name, e.attributes?.['cancelable.operation.name']])).toEqual([
      ['cancelable.cancel', 'stubborn'],
      ['cancelable.abandoned', 'stubborn'],
    ]);
  });
});
