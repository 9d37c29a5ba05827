/**
 * chunkedCancelableStream: full chunks of chunkSize, the remainder at the end; maxWaitMs flushes a
 * partial chunk when no item came for that long; cancellation is checked between chunks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, ChunkedCancelableIterator, chunkedCancelableStream } from '../../src/index.js';
import { counting, customIterator, flush, ManualClock, probe, stalling, track } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

async function collect<T>(iterable: AsyncIterable<T[]>): Promise<T[][]> {
  const chunks: T[][] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

/** An async generator yielding `items` with `gaps[i]` ms of (fake or manual) time before item i. */
async function* timed(items: number[], gaps: number[], sleep: (ms: number) => Promise<void>): AsyncGenerator<number> {
  for (let i = 0; i < items.length; i++) {
    if ((gaps[i] ?? 0) > 0) await sleep(gaps[i] as number);
    yield items[i] as number;
  }
}

describe('chunks', () => {
  it('chunks of 100 with the remainder at the end', async () => {
    const p = probe();
    const chunks = await new Cancelable().run((scope) =>
      collect(chunkedCancelableStream(counting(250, p), scope, { chunkSize: 100 })),
    );
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks.flat()).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(p.finallyRan).toBe(true);
  });

  it('an exact multiple has no empty last chunk; an empty source has no chunk', async () => {
    await new Cancelable().run(async (scope) => {
      const chunks = await collect(chunkedCancelableStream(counting(200, probe()), scope, { chunkSize: 100 }));
      expect(chunks.map((c) => c.length)).toEqual([100, 100]);
      expect(await collect(chunkedCancelableStream([], scope, { chunkSize: 100 }))).toEqual([]);
    });
  });

  it('chunkSize 1 gives one item per chunk; sync sources work', async () => {
    const chunks = await collect(chunkedCancelableStream([1, 2, 3], new Cancelable(), { chunkSize: 1 }));
    expect(chunks).toEqual([[1], [2], [3]]);
  });

  it('returns a ChunkedCancelableIterator; next() after the end stays done', async () => {
    const stream = chunkedCancelableStream([1, 2, 3], new Cancelable(), { chunkSize: 2 });
    expect(stream).toBeInstanceOf(ChunkedCancelableIterator);
    expect(stream[Symbol.asyncIterator]()).toBe(stream);
    expect(await stream.next()).toEqual({ done: false, value: [1, 2] });
    expect(await stream.next()).toEqual({ done: false, value: [3] });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(stream.count).toBe(3);
  });

  it('serves next() calls made before the previous settled, in order', async () => {
    const stream = chunkedCancelableStream(counting(5, probe()), new Cancelable(), { chunkSize: 2 });
    const results = await Promise.all([stream.next(), stream.next(), stream.next(), stream.next()]);
    expect(results).toEqual([
      { done: false, value: [0, 1] },
      { done: false, value: [2, 3] },
      { done: false, value: [4] },
      { done: true, value: undefined },
    ]);
  });

  it('passes the stream options on (progress counts items, not chunks)', async () => {
    const reports: string[] = [];
    const scope = new Cancelable().onProgress((_id, message) => void reports.push(message));
    await scope.run(async (scope) => {
      const stream = chunkedCancelableStream(counting(25, probe()), scope, { chunkSize: 5, reportInterval: 10 });
      await collect(stream);
      expect(stream.partialResult).toEqual({ count: 25, buffer: [], completed: true });
    });
    expect(reports).toEqual(['Processed 10 items', 'Processed 20 items']);
  });

  it('a source error reaches the consumer (the unfinished chunk is dropped)', async () => {
    const boom = new Error('boom');
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      yield 3;
      throw boom;
    }
    const chunks: number[][] = [];
    const error = await new Cancelable()
      .run(async (scope) => {
        for await (const chunk of chunkedCancelableStream(failing(), scope, { chunkSize: 2 })) chunks.push(chunk);
      })
      .catch((e: unknown) => e);
    expect(chunks).toEqual([[1, 2]]);
    expect(error).toBe(boom);
  });

  it('break closes the source', async () => {
    const p = probe();
    await new Cancelable().run(async (scope) => {
      for await (const _ of chunkedCancelableStream(counting(1_000, p), scope, { chunkSize: 10 })) break;
    });
    expect(p.finallyRan).toBe(true);
    expect(p.pulls).toBe(10);
  });
});

describe('cancellation', () => {
  it('is checked between chunks', async () => {
    const p = probe();
    const scope = new Cancelable();
    const chunks: number[][] = [];
    const error = await scope
      .run(async (scope) => {
        for await (const chunk of chunkedCancelableStream(counting(1_000, p), scope, { chunkSize: 100 })) {
          chunks.push(chunk);
          if (chunks.length === 2) scope.cancel('enough');
        }
      })
      .catch((e: unknown) => e);
    expect(error).toBe(scope.cancelError);
    expect(chunks.map((c) => c.length)).toEqual([100, 100]);
    expect(p.pulls).toBe(200);
    expect(p.finallyRan).toBe(true);
  });

  it('interrupts the wait for a chunk at once, dropping the partial chunk', async () => {
    const scope = new Cancelable();
    const stream = chunkedCancelableStream(stalling(3, probe()), scope, { chunkSize: 10 });
    const pending = track(stream.next());
    await flush();
    expect(pending.settled).toBe(false);
    scope.cancel();
    await expect(pending.promise).rejects.toBe(scope.cancelError);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    expect(stream.count).toBe(3);
  });

  it('a stream of an already-cancelled scope rejects at the first chunk and closes the source', async () => {
    const p = probe();
    const scope = new Cancelable();
    scope.cancel();
    const stream = chunkedCancelableStream(customIterator(10, p), scope, { chunkSize: 2 });
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    await flush();
    expect(p.pulls).toBe(0);
    expect(p.returned).toBe(1);
  });
});

describe('maxWaitMs', () => {
  it('flushes a partial chunk when no item came for that long (fake timers)', async () => {
    vi.useFakeTimers();
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    // 3 items quickly, a 500 ms pause, 2 items, a 500 ms pause, 1 item, the end.
    const source = timed([1, 2, 3, 4, 5, 6], [0, 10, 10, 500, 10, 500], sleep);
    const scope = new Cancelable();
    const stream = chunkedCancelableStream(source, scope, { chunkSize: 10, maxWaitMs: 100 });
    const chunks: { at: number; chunk: number[] }[] = [];
    const start = Date.now();
    const done = (async () => {
      for await (const chunk of stream) chunks.push({ at: Date.now() - start, chunk });
    })();
    await vi.advanceTimersByTimeAsync(2_000);
    await done;
    expect(chunks).toEqual([
      { at: 120, chunk: [1, 2, 3] }, // last item at 20 ms, then 100 ms without one
      { at: 630, chunk: [4, 5] }, // items at 520 and 530 ms
      { at: 1030, chunk: [6] }, // the end flushes the rest at once
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never flushes an empty chunk, and a full chunk goes at once', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let release!: (value: IteratorResult<number>) => void;
    let i = 0;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () =>
          i < 2
            ? Promise.resolve({ done: false, value: i++ })
            : new Promise<IteratorResult<number>>((resolve) => (release = resolve)),
      }),
    };
    const stream = chunkedCancelableStream(source, scope, { chunkSize: 2, maxWaitMs: 50 });
    expect(await stream.next()).toEqual({ done: false, value: [0, 1] }); // full: no wait
    const pending = track(stream.next());
    await clock.tick(1_000); // nothing arrived: nothing to flush
    expect(pending.settled).toBe(false);
    release({ done: false, value: 2 });
    await flush();
    expect(pending.settled).toBe(false);
    await clock.tick(50);
    expect(await pending.promise).toEqual({ done: false, value: [2] });
    await stream.return();
    expect(clock.pending).toBe(0);
  });

  it('an item that arrives after a flush starts the next chunk', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const resolvers: ((value: IteratorResult<number>) => void)[] = [];
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>((resolve) => resolvers.push(resolve)),
      }),
    };
    const stream = chunkedCancelableStream(source, scope, { chunkSize: 3, maxWaitMs: 10 });
    const first = track(stream.next());
    await flush();
    resolvers.shift()?.({ done: false, value: 1 });
    await clock.tick(10);
    expect(await first.promise).toEqual({ done: false, value: [1] });
    // The pull in flight at the flush delivers while nobody waits: kept, not lost; nothing more is pulled.
    resolvers.shift()?.({ done: false, value: 2 });
    await flush();
    expect(resolvers).toHaveLength(0);
    const second = track(stream.next());
    await flush();
    resolvers.shift()?.({ done: false, value: 3 });
    await flush();
    resolvers.shift()?.({ done: true, value: undefined });
    await flush();
    expect(await second.promise).toEqual({ done: false, value: [2, 3] });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(clock.pending).toBe(0);
  });

  it('cancellation clears the flush timer', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const stream = chunkedCancelableStream(stalling(1, probe()), scope, { chunkSize: 5, maxWaitMs: 100 });
    const pending = stream.next();
    await flush();
    expect(clock.pending).toBe(1);
    scope.cancel();
    await expect(pending).rejects.toBe(scope.cancelError);
    expect(clock.pending).toBe(0);
  });
});

describe('bad input', () => {
  it('chunkSize must be an integer >= 1; maxWaitMs a number > 0', () => {
    const scope = new Cancelable();
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: 0 })).toThrow(RangeError);
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: 0 })).toThrow(/options\.chunkSize .* got 0/);
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: -3 })).toThrow(RangeError);
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: 2.5 })).toThrow(RangeError);
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: '10' as unknown as number })).toThrow(TypeError);
    expect(() => chunkedCancelableStream([1], scope, undefined as unknown as { chunkSize: number })).toThrow(
      /options\.chunkSize/,
    );
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: 2, maxWaitMs: 0 })).toThrow(RangeError);
    expect(() => chunkedCancelableStream([1], scope, { chunkSize: 2, maxWaitMs: NaN })).toThrow(RangeError);
  });
});

describe('a finished stream lets go of its scope', () => {
  // Each stream listens for its scope's cancellation while it runs. Every way a stream ends must
  // remove that listener, or a long-lived scope keeps every finished stream (about 1.3 kB each) and
  // its listener list grows with each one. It once stayed after a source shorter than one chunk.
  const ends: [string, (scope: Cancelable) => Promise<unknown>][] = [
    ['a source shorter than one chunk', (scope) => drain(chunkedCancelableStream(counting(7, probe()), scope, { chunkSize: 100 }))],
    ['an exact multiple of the chunk size', (scope) => drain(chunkedCancelableStream(counting(200, probe()), scope, { chunkSize: 100 }))],
    ['an empty source', (scope) => drain(chunkedCancelableStream(counting(0, probe()), scope, { chunkSize: 100 }))],
    ['with maxWaitMs', (scope) => drain(chunkedCancelableStream(counting(150, probe()), scope, { chunkSize: 100, maxWaitMs: 60_000 }))],
    [
      'break after the first chunk',
      async (scope) => {
        for await (const _chunk of chunkedCancelableStream(counting(500, probe()), scope, { chunkSize: 100 })) break;
      },
    ],
    [
      'a source that fails',
      (scope) =>
        drain(
          chunkedCancelableStream(
            (async function* failing() {
              yield 1;
              throw new Error('source failed');
            })(),
            scope,
            { chunkSize: 100 },
          ),
        ).catch(() => undefined),
    ],
  ];
  it.each(ends)('%s: no cancellation listener left on the running scope', async (_name, consume) => {
    await new Cancelable({ name: 'long-lived' }).run(async (scope) => {
      for (let i = 0; i < 20; i++) await consume(scope);
      await flush();
      expect(scope._waiters?.size ?? 0).toBe(0);
    });
  });
});

async function drain(iterator: AsyncIterable<unknown[]>): Promise<number> {
  let items = 0;
  for await (const chunk of iterator) items += chunk.length;
  return items;
}
