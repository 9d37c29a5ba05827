/**
 * The `tracing:cancelable.run` TracingChannel (SPEC §8): start/end/asyncStart/asyncEnd/error around
 * every run(), the scope in the context object, a subscriber's bindStore current inside the body, and
 * nothing published while nobody subscribes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelable, TimeoutCancelation, runTracing, type RunTraceContext } from '../../src/index.js';

type Event = { kind: string; scope: string; result?: unknown; error?: unknown };

function subscribe(): { events: Event[]; off: () => void } {
  const events: Event[] = [];
  const record =
    (kind: string) =>
    (message: unknown): void => {
      const context = message as RunTraceContext;
      events.push({ kind, scope: context.scope.name, result: context.result, error: context.error });
    };
  const handlers = {
    start: record('start'),
    end: record('end'),
    asyncStart: record('asyncStart'),
    asyncEnd: record('asyncEnd'),
    error: record('error'),
  };
  const channel = diagnosticsChannel.tracingChannel('cancelable.run');
  channel.subscribe(handlers);
  return { events, off: () => channel.unsubscribe(handlers) };
}

let off: (() => void) | undefined;
afterEach(() => {
  off?.();
  off = undefined;
});

describe('tracing:cancelable.run', () => {
  it('is the channel exported as runTracing', () => {
    expect(runTracing).toBeDefined();
    expect(runTracing.start.name).toBe('tracing:cancelable.run:start');
  });

  it('publishes start and end around the call, asyncStart and asyncEnd when run() resolves', async () => {
    const sub = subscribe();
    off = sub.off;
    const value = await new Cancelable({ name: 'job' }).run(async () => {
      sub.events.push({ kind: 'body', scope: 'job' });
      await Promise.resolve();
      return 42;
    });
    expect(value).toBe(42);
    expect(sub.events.map((e) => e.kind)).toEqual(['start', 'body', 'end', 'asyncStart', 'asyncEnd']);
    expect(sub.events.at(-1)).toMatchObject({ scope: 'job', result: 42 });
  });

  it('publishes error with the cancellation error when run() rejects', async () => {
    const sub = subscribe();
    off = sub.off;
    const run = Cancelable.withTimeout(5, { name: 'slow' }).run((scope) => scope.sleep(10_000));
    await expect(run).rejects.toBeInstanceOf(TimeoutCancelation);
    expect(sub.events.map((e) => e.kind)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(sub.events.find((e) => e.kind === 'error')?.error).toBeInstanceOf(TimeoutCancelation);
  });

  it("a subscriber's bindStore makes its store current inside the body, and the scope too", async () => {
    const store = new AsyncLocalStorage<string>();
    const start = diagnosticsChannel.tracingChannel('cancelable.run').start;
    start.bindStore(store, (context) => `span:${(context as RunTraceContext).scope.name}`);
    try {
      let seen: string | undefined;
      let current: string | undefined;
      await new Cancelable({ name: 'traced' }).run(async (scope) => {
        await scope.sleep(1);
        seen = store.getStore();
        current = Cancelable.current()?.name;
      });
      expect(seen).toBe('span:traced');
      expect(current).toBe('traced');
      expect(store.getStore()).toBeUndefined();
    } finally {
      start.unbindStore(store);
    }
  });

  it('publishes nothing while nobody subscribes', async () => {
    expect(runTracing.hasSubscribers).toBe(false);
    const seen: unknown[] = [];
    const listener = (message: unknown): void => void seen.push(message);
    const sub = subscribe();
    sub.off();
    diagnosticsChannel.subscribe('tracing:cancelable.run:start', listener);
    diagnosticsChannel.unsubscribe('tracing:cancelable.run:start', listener);
    await new Cancelable().run(() => 1);
    expect(seen).toEqual([]);
  });
});
