/**
 * Async context (PITFALL 14): inside the source's own code (an async generator body, its finally)
 * Cancelable.current() is the scope the stream was bound to; inside the consumer's loop it is the
 * consumer's own.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, cancelableStream, chunkedCancelableStream, type CancelableStreamOptions } from '../../src/index.js';

interface Seen {
  body: (Cancelable | undefined)[];
  afterAwait: (Cancelable | undefined)[];
  cleanup: (Cancelable | undefined)[];
  consumer: (Cancelable | undefined)[];
}

async function* observed(n: number, seen: Seen): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      seen.body.push(Cancelable.current());
      await new Promise((resolve) => setImmediate(resolve));
      seen.afterAwait.push(Cancelable.current());
      yield i;
    }
  } finally {
    seen.cleanup.push(Cancelable.current());
  }
}

/**
 * Runs `consume` inside `outer`, with `inner` (a child of outer) running alongside; the stream is bound
 * to `inner` but consumed in `outer`'s context.
 */
async function acrossScopes(
  consume: (inner: Cancelable, seen: Seen) => Promise<void>,
): Promise<{ outer: Cancelable; inner: Cancelable; seen: Seen }> {
  const seen: Seen = { body: [], afterAwait: [], cleanup: [], consumer: [] };
  const outer = new Cancelable({ name: 'outer' });
  let inner!: Cancelable;
  await outer.run(async () => {
    inner = new Cancelable({ name: 'inner' });
    let finish!: () => void;
    const innerRun = inner.run(() => new Promise<void>((resolve) => (finish = resolve)));
    try {
      await consume(inner, seen);
    } finally {
      finish();
      await innerRun;
    }
  });
  return { outer, inner, seen };
}

describe('Cancelable.current() in a stream', () => {
  it('is the bound scope in the generator body (before and after its awaits, and in finally)', async () => {
    const { outer, inner, seen } = await acrossScopes(async (inner, seen) => {
      for await (const item of cancelableStream(observed(5, seen), inner)) {
        seen.consumer.push(Cancelable.current());
        if (item === 3) break;
      }
    });
    expect(seen.body).toEqual([inner, inner, inner, inner]);
    expect(seen.afterAwait).toEqual([inner, inner, inner, inner]);
    expect(seen.cleanup).toEqual([inner]);
    expect(seen.consumer).toEqual([outer, outer, outer, outer]);
  });

  it.each<[string, CancelableStreamOptions<number>]>([
    ['with bufferSize', { bufferSize: 3 }],
    ['with progress options', { reportInterval: 2, bufferPartial: true }],
  ])('is the bound scope %s', async (_name, options) => {
    const { outer, inner, seen } = await acrossScopes(async (inner, seen) => {
      for await (const _ of cancelableStream(observed(4, seen), inner, options)) seen.consumer.push(Cancelable.current());
    });
    expect(new Set(seen.body)).toEqual(new Set([inner]));
    expect(new Set(seen.afterAwait)).toEqual(new Set([inner]));
    expect(seen.cleanup).toEqual([inner]);
    expect(seen.consumer).toEqual([outer, outer, outer, outer]);
  });

  it('is the bound scope in a chunked stream; the consumer keeps its own', async () => {
    const { outer, inner, seen } = await acrossScopes(async (inner, seen) => {
      for await (const _ of chunkedCancelableStream(observed(5, seen), inner, { chunkSize: 2 })) {
        seen.consumer.push(Cancelable.current());
      }
    });
    expect(new Set(seen.body)).toEqual(new Set([inner]));
    expect(seen.cleanup).toEqual([inner]);
    expect(seen.consumer).toEqual([outer, outer, outer]);
  });

  it('is the bound scope when the cancellation closes the source', async () => {
    const seen: (Cancelable | undefined)[] = [];
    const scope = new Cancelable({ name: 'bound' });
    async function* source(): AsyncGenerator<number> {
      try {
        yield 1;
        yield 2;
      } finally {
        seen.push(Cancelable.current());
      }
    }
    await scope
      .run(async (scope) => {
        await new Cancelable({ name: 'consumer', parent: null }).run(async () => {
          for await (const _ of cancelableStream(source(), scope)) scope.cancel();
        });
      })
      .catch(() => undefined);
    expect(seen).toEqual([scope]);
  });

  it('is the consumer scope itself in the usual case (stream bound to the running scope)', async () => {
    const seen: Seen = { body: [], afterAwait: [], cleanup: [], consumer: [] };
    const scope = new Cancelable();
    await scope.run(async (scope) => {
      for await (const _ of scope.stream(observed(2, seen))) seen.consumer.push(Cancelable.current());
    });
    expect([...seen.body, ...seen.afterAwait, ...seen.cleanup, ...seen.consumer]).toEqual(Array(7).fill(scope));
  });
});
