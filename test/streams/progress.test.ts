/**
 * Progress of a stream: `Processed <count> items` every reportInterval items, onProgress(count, item),
 * and the partial result `{ count, buffer, completed }` kept on the scope's context.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, cancelableStream, channelNames, type StreamPartialResult } from '../../src/index.js';
import { counting, flush, listen, probe, stalling } from './helpers.js';

describe('reportInterval', () => {
  it('25 items with interval 10 report at 10 and 20, through the scope', async () => {
    const reports: [string, Record<string, unknown> | undefined][] = [];
    const scope = new Cancelable().onProgress((_id, message, metadata) => {
      reports.push([message, metadata]);
    });
    await scope.run(async (scope) => {
      for await (const _ of cancelableStream(counting(25, probe()), scope, { reportInterval: 10 })) {
        // drain
      }
    });
    expect(reports).toEqual([
      ['Processed 10 items', { count: 10 }],
      ['Processed 20 items', { count: 20 }],
    ]);
    expect(scope.context.progress?.message).toBe('Processed 20 items');
  });

  it('reports on the cancelable:progress channel too', async () => {
    const channel = listen<{ message: string }>(channelNames.progress);
    try {
      await new Cancelable().run(async (scope) => {
        for await (const _ of cancelableStream([1, 2, 3, 4], scope, { reportInterval: 2 })) {
          // drain
        }
      });
      expect(channel.messages.map((m) => m.message)).toEqual(['Processed 2 items', 'Processed 4 items']);
    } finally {
      channel.stop();
    }
  });
});

describe('onProgress', () => {
  it('is called with (count, item) at each report', async () => {
    const calls: [number, string][] = [];
    await new Cancelable().run(async (scope) => {
      const letters = 'abcdefg';
      for await (const _ of cancelableStream(letters, scope, {
        reportInterval: 3,
        onProgress: (count, item) => void calls.push([count, item]),
      })) {
        // drain
      }
    });
    expect(calls).toEqual([
      [3, 'c'],
      [6, 'f'],
    ]);
  });

  it('is called for every item when there is no reportInterval', async () => {
    const calls: number[] = [];
    for await (const _ of cancelableStream([10, 20, 30], new Cancelable(), {
      onProgress: (count) => void calls.push(count),
    })) {
      // drain
    }
    expect(calls).toEqual([1, 2, 3]);
  });

  it('a callback that throws or rejects is reported and never stops the stream', async () => {
    const channel = listen<{ callback: string; error: unknown }>(channelNames.callbackError);
    try {
      const sync = new Error('sync');
      const async = new Error('async');
      const items: number[] = [];
      for await (const item of cancelableStream([1, 2], new Cancelable(), {
        onProgress: (count) => {
          if (count === 1) throw sync;
          return Promise.reject(async);
        },
      })) {
        items.push(item);
      }
      await flush();
      expect(items).toEqual([1, 2]);
      expect(channel.messages.map((m) => [m.callback, m.error])).toEqual([
        ['stream onProgress', sync],
        ['stream onProgress', async],
      ]);
    } finally {
      channel.stop();
    }
  });
});

describe('a progress callback that stops the stream', () => {
  it('cancelling from onProgress: the item in hand is delivered, the next next() rejects', async () => {
    const scope = new Cancelable();
    const stream = cancelableStream(counting(10, probe()), scope, {
      reportInterval: 2,
      onProgress: () => void scope.cancel('enough'),
    });
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    await expect(stream.next()).rejects.toBe(scope.cancelError);
  });

  it('returning from a scope onProgress callback: the item in hand is delivered, then done', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(counting(10, p), scope, { reportInterval: 1 });
    scope.onProgress(() => void stream.return());
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(p.finallyRan).toBe(true);
  });
});

describe('partialResult', () => {
  it('is kept on the scope and its context: count, completed', async () => {
    const scope = new Cancelable();
    await scope.run(async (scope) => {
      const stream = cancelableStream(counting(3, probe()), scope);
      expect(scope.partialResult).toBe(stream.partialResult);
      expect(scope.context.partialResult).toEqual({ count: 0, buffer: [], completed: false });
      await stream.next();
      expect(scope.context.partialResult).toEqual({ count: 1, buffer: [], completed: false });
      for await (const _ of stream) {
        // drain
      }
    });
    expect(scope.context.partialResult).toEqual({ count: 3, buffer: [], completed: true });
    expect(JSON.parse(JSON.stringify(scope.context)).partialResult).toEqual({ count: 3, buffer: [], completed: true });
  });

  it('records how far a cancelled stream got (completed: false)', async () => {
    const scope = new Cancelable();
    const run = scope.run(async (scope) => {
      for await (const _ of cancelableStream(stalling(7, probe()), scope, { bufferPartial: true })) {
        // drain
      }
    });
    await flush();
    scope.cancel();
    await run.catch(() => undefined);
    expect(scope.context.partialResult).toEqual({ count: 7, buffer: [0, 1, 2, 3, 4, 5, 6], completed: false });
  });

  it('bufferPartial keeps the last 1,000 items', async () => {
    const scope = new Cancelable();
    await scope.run(async (scope) => {
      for await (const _ of cancelableStream(counting(2_500, probe()), scope, { bufferPartial: true })) {
        // drain
      }
    });
    const partial = scope.partialResult as StreamPartialResult<number>;
    expect(partial.count).toBe(2_500);
    expect(partial.completed).toBe(true);
    expect(partial.buffer).toHaveLength(1_000);
    expect(partial.buffer[0]).toBe(1_500);
    expect(partial.buffer[999]).toBe(2_499);
  });

  it('a break leaves completed: false', async () => {
    const scope = new Cancelable();
    await scope.run(async (scope) => {
      for await (const item of cancelableStream([1, 2, 3], scope)) if (item === 2) break;
    });
    expect(scope.context.partialResult).toEqual({ count: 2, buffer: [], completed: false });
  });
});
