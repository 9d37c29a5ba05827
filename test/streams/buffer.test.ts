/**
 * bufferSize: prefetches up to n items while the consumer works, never more (backpressure);
 * cancellation discards the buffer.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, cancelableStream } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { counting, customIterator, flush, never, probe, stalling, track } from './helpers.js';

describe('bufferSize', () => {
  it('prefetches while the consumer works, and never more than bufferSize ahead', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(counting(100, p), scope, { bufferSize: 5 });
    let consumed = 0;
    let maxAhead = 0;
    for (;;) {
      const result = await stream.next();
      if (result.done) break;
      consumed++;
      // The consumer "works": give the prefetcher every chance to run ahead.
      await flush(2);
      maxAhead = Math.max(maxAhead, p.pulls - consumed);
      expect(p.pulls - consumed).toBeLessThanOrEqual(5);
    }
    expect(consumed).toBe(100);
    expect(maxAhead).toBe(5);
  });

  it('fills the buffer while the consumer is busy with one item', async () => {
    const p = probe();
    const stream = cancelableStream(counting(100, p), new Cancelable(), { bufferSize: 10 });
    await stream.next();
    await flush();
    expect(p.pulls).toBe(11); // the item handed out + 10 ahead
    await stream.return();
  });

  it('bufferSize 0 (default) pulls only on demand', async () => {
    const p = probe();
    const stream = cancelableStream(counting(100, p), new Cancelable());
    await stream.next();
    await flush();
    expect(p.pulls).toBe(1);
    await stream.return();
  });

  it('preserves order and delivers everything', async () => {
    const items: number[] = [];
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream(counting(1_000, probe()), scope, { bufferSize: 7 })) items.push(item);
    });
    expect(items).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it('works with sync sources', async () => {
    const items: number[] = [];
    for await (const item of cancelableStream([1, 2, 3, 4, 5], new Cancelable(), { bufferSize: 2 })) items.push(item);
    expect(items).toEqual([1, 2, 3, 4, 5]);
  });

  it('a source error arrives after the items buffered before it', async () => {
    const boom = new Error('boom');
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      throw boom;
    }
    const items: number[] = [];
    const error = await new Cancelable()
      .run(async (scope) => {
        for await (const item of cancelableStream(failing(), scope, { bufferSize: 10 })) items.push(item);
      })
      .catch((e: unknown) => e);
    expect(items).toEqual([1, 2]);
    expect(error).toBe(boom);
  });

  it('cancellation discards the buffer: buffered items are never delivered', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(8, p), scope, { bufferSize: 4 });
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    await flush();
    expect(p.pulls).toBe(5);
    scope.cancel();
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    expect(stream.count).toBe(1);
  });

  it('a pending next() rejects at once on cancel though the source stalls', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(0, p), scope, { bufferSize: 3 });
    const pending = stream.next();
    await flush();
    scope.cancel();
    await expect(pending).rejects.toBe(scope.cancelError);
  });

  it('break closes the source; a prefetch in flight does not block the exit beyond graceMs', async () => {
    const p = probe();
    const clock = new ManualClock();
    const run = track(
      new Cancelable({ graceMs: 20, clock }).run(async (scope) => {
        // The source answers the first pull, then stalls forever: the prefetcher's pull hangs.
        const source = customIterator(Infinity, p, () => never(), 1);
        for await (const _ of cancelableStream(source, scope, { bufferSize: 2 })) break;
      }),
    );
    await clock.advance(19);
    expect(run.settled).toBe(false); // the hanging return() is given the grace...
    expect(p.returned).toBe(1);
    await clock.advance(1);
    expect(run.settled).toBe(true); // ...and no more
    await run.promise;
    expect(p.returned).toBe(1);
  });

  it('break with a full buffer closes the source at once', async () => {
    const p = probe();
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream(counting(100, p), scope, { bufferSize: 3 })) {
        await flush();
        if (item === 5) break;
      }
    });
    expect(p.finallyRan).toBe(true);
    expect(p.pulls).toBeLessThanOrEqual(6 + 3);
  });
});
