/**
 * The plain iteration contract: items in order, the end, the iterator protocol of
 * CancelableAsyncIterator, sync iterables, scope.stream, concurrent next() calls.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, CancelableAsyncIterator, cancelableStream } from '../../src/index.js';
import { counting, probe } from './helpers.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('cancelableStream', () => {
  it('delivers every item of an async generator, in order, then ends', async () => {
    const p = probe();
    const items = await new Cancelable().run((scope) => collect(cancelableStream(counting(100, p), scope)));
    expect(items).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p.finallyRan).toBe(true);
  });

  it('preserves order when items arrive at different speeds', async () => {
    async function* uneven(): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        else if (i % 3 === 1) await Promise.resolve();
        yield i;
      }
    }
    const items = await new Cancelable().run((scope) => collect(cancelableStream(uneven(), scope)));
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('iterates sync iterables, awaiting promise values like for await does', async () => {
    await new Cancelable().run(async (scope) => {
      expect(await collect(cancelableStream([1, 2, 3], scope))).toEqual([1, 2, 3]);
      expect(await collect(cancelableStream(new Set(['a', 'b']), scope))).toEqual(['a', 'b']);
      expect(await collect(cancelableStream([Promise.resolve(1), 2, Promise.resolve(3)], scope))).toEqual([1, 2, 3]);
      expect(await collect(cancelableStream('hey', scope))).toEqual(['h', 'e', 'y']);
    });
  });

  it('iterates any AsyncIterable, not only generators', async () => {
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return { next: () => Promise.resolve(i < 3 ? { done: false, value: i++ } : { done: true, value: undefined }) };
      },
    };
    expect(await new Cancelable().run((scope) => collect(cancelableStream(iterable, scope)))).toEqual([0, 1, 2]);
  });

  it('scope.stream(source, options) is the same thing', async () => {
    await new Cancelable().run(async (scope) => {
      const stream = scope.stream(counting(5, probe()), { reportInterval: 2 });
      expect(stream).toBeInstanceOf(CancelableAsyncIterator);
      expect(await collect(stream)).toEqual([0, 1, 2, 3, 4]);
      expect(scope.context.progress?.message).toBe('Processed 4 items');
    });
  });

  it('works with a scope that is not running (pending or finished)', async () => {
    const pending = new Cancelable();
    expect(await collect(cancelableStream([1, 2], pending))).toEqual([1, 2]);
    const finished = new Cancelable();
    await finished.run(() => undefined);
    expect(await collect(cancelableStream(counting(2, probe()), finished))).toEqual([0, 1]);
  });

  it('after the end, next() keeps resolving done', async () => {
    const stream = cancelableStream([1], new Cancelable());
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('serves next() calls made before the previous settled, in order', async () => {
    const stream = cancelableStream(counting(3, probe()), new Cancelable());
    const results = await Promise.all([stream.next(), stream.next(), stream.next(), stream.next(), stream.next()]);
    expect(results).toEqual([
      { done: false, value: 0 },
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
  });

  it('hands a source error to the consumer, then is done (no return() after a failure)', async () => {
    const boom = new Error('boom');
    let returned = 0;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(boom),
        return: () => {
          returned++;
          return Promise.resolve({ done: true as const, value: undefined });
        },
      }),
    };
    const stream = cancelableStream(source, new Cancelable());
    await expect(stream.next()).rejects.toBe(boom);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(returned).toBe(0);
  });

  it('rejects with a TypeError when the source returns a non-object result', async () => {
    const source = { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(42) }) };
    const stream = cancelableStream(source as unknown as AsyncIterable<number>, new Cancelable());
    await expect(stream.next()).rejects.toThrow(TypeError);
  });

  it('a sync throw from next() rejects the consumer', async () => {
    const boom = new Error('sync boom');
    const source = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw boom;
        },
      }),
    };
    const stream = cancelableStream(source as Iterable<number>, new Cancelable());
    await expect(stream.next()).rejects.toBe(boom);
  });
});

describe('CancelableAsyncIterator', () => {
  it('is a class with next, return, throw and Symbol.asyncIterator', async () => {
    const p = probe();
    const iterator = new CancelableAsyncIterator(counting(10, p), new Cancelable());
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(iterator.count).toBe(2);
    expect(await iterator.return()).toEqual({ done: true, value: undefined });
    expect(p.finallyRan).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('throw(error) closes the source, then rejects with the error', async () => {
    const p = probe();
    const iterator = new CancelableAsyncIterator(counting(10, p), new Cancelable());
    await iterator.next();
    const error = new Error('stop');
    await expect(iterator.throw(error)).rejects.toBe(error);
    expect(p.finallyRan).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('supports await using (Symbol.asyncDispose closes the source)', async () => {
    const p = probe();
    {
      await using iterator = new CancelableAsyncIterator(counting(10, p), new Cancelable());
      await iterator.next();
      expect(p.finallyRan).toBe(false);
    }
    expect(p.finallyRan).toBe(true);
  });

  it('return() while a next() is pending resolves that next() done', async () => {
    let release!: () => void;
    async function* slow(): AsyncGenerator<number> {
      await new Promise<void>((resolve) => (release = resolve));
      yield 1;
    }
    const iterator = new CancelableAsyncIterator(slow(), new Cancelable());
    const pending = iterator.next();
    const closing = iterator.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    release(); // the generator's queued return() can now run
    expect(await closing).toEqual({ done: true, value: undefined });
  });
});
