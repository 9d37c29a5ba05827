// What the `tracing:cancelable.run` TracingChannel costs a scope's run(): nothing while nobody
// subscribes (the channel is checked with `hasSubscribers`, no context object is allocated), the
// price of a no-op subscriber, of a bound AsyncLocalStorage (what APMs do with bindStore), and of the
// OpenTelemetry instrumentation (cancelable-ts/otel with the SDK, no exporter). Cases run in
// interleaved rounds, each with its own subscribe/unsubscribe around it; the best round is kept.
// Target: after unsubscribing, run() costs what it cost before anyone subscribed (<= 1.1x).
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { measure } from 'mitata';
import { Cancelable, runTracing } from 'cancelable-ts';
import { instrument, uninstrument } from 'cancelable-ts/otel';
import { quick, report } from '../lib.mjs';

const body = async () => 1;
const noop = () => {};
const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
const store = new AsyncLocalStorage();
const contextManager = new AsyncLocalStorageContextManager().enable();
api.context.setGlobalContextManager(contextManager);
const tracer = new BasicTracerProvider().getTracer('bench');

// Enable AsyncLocalStorage's promise hooks for every row alike (as in an application using scopes).
await new Cancelable().run(body);

const tracing = diagnosticsChannel.tracingChannel('cancelable.run');
const cases = {
  'bare async try/finally (anchor)': {
    fn: async () => {
      try {
        return await body();
      } finally {
        // nothing
      }
    },
  },
  'run(), nobody subscribed': { fn: () => new Cancelable().run(body) },
  'run(), after a subscriber came and left': {
    setup: () => {
      tracing.subscribe(handlers);
      tracing.unsubscribe(handlers);
    },
    fn: () => new Cancelable().run(body),
  },
  'run(), a no-op tracing subscriber': {
    setup: () => tracing.subscribe(handlers),
    teardown: () => tracing.unsubscribe(handlers),
    fn: () => new Cancelable().run(body),
  },
  'run(), an AsyncLocalStorage bound with bindStore': {
    setup: () => runTracing.start.bindStore(store, (context) => context.scope),
    teardown: () => runTracing.start.unbindStore(store),
    fn: () => new Cancelable().run(body),
  },
  "run() of an unnamed scope, instrument({ spans: 'named' })": {
    setup: () => instrument({ api, tracer }),
    teardown: () => uninstrument(),
    fn: () => new Cancelable().run(body),
  },
  "run() of a named scope (one span), instrument({ spans: 'named' })": {
    setup: () => instrument({ api, tracer }),
    teardown: () => uninstrument(),
    fn: () => new Cancelable({ name: 'job' }).run(body),
  },
};

const rounds = quick ? 1 : 5;
const best = new Map();
for (let round = 0; round < rounds; round++) {
  for (const [name, { fn, setup, teardown }] of Object.entries(cases)) {
    setup?.();
    try {
      const stats = await measure(fn, { min_cpu_time: quick ? 20e6 : 200e6, max_samples: quick ? 100 : 1e9 });
      const row = { median: stats.p50, min: stats.min, max: stats.max, p99: stats.p99 };
      const previous = best.get(name);
      if (previous === undefined || row.median < previous.median) best.set(name, row);
    } finally {
      teardown?.();
    }
  }
}
if (runTracing.hasSubscribers) throw new Error('a case left a subscriber behind');

const median = (name) => best.get(name).median;
const unsubscribed = median('run(), nobody subscribed');
const rows = [...best].map(([name, stats]) => ({
  name,
  unit: 'ns/op',
  ...stats,
  note: name.startsWith('bare') ? '' : `${(stats.median / unsubscribed).toFixed(2)}x unsubscribed run()`,
}));
const afterLeaving = median('run(), after a subscriber came and left') / unsubscribed;
report({
  figure: 'Tracing channel and OpenTelemetry',
  rows,
  targets: [
    {
      target: 'tracing channel unsubscribed again: run() <= 1.1x never subscribed',
      value: afterLeaving,
      unit: 'x',
      limit: 1.1,
      ok: afterLeaving <= 1.1,
    },
  ],
});
contextManager.disable();
