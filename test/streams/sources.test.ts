/**
 * Web ReadableStream and Node Readable sources: read in order; released with reader.cancel() /
 * destroyed, also while a read is pending (whatwg/streams#1255, nodejs/node#63497).
 */
import { Readable, PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Cancelable, cancelableStream, channelNames, chunkedCancelableStream } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { flush, listen, rejection, track } from './helpers.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** A web stream of `0..n-1` (pull-based), then stalling forever when `stall` is set. */
function webNumbers(
  n: number,
  log: { pulls: number; cancelled: unknown[] },
  stall = false,
): ReadableStream<number> {
  let i = 0;
  return new ReadableStream<number>(
    {
      pull(controller) {
        log.pulls++;
        if (i < n) controller.enqueue(i++);
        else if (stall) return new Promise<void>(() => {});
        else controller.close();
        return undefined;
      },
      cancel(reason) {
        log.cancelled.push(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

describe('web ReadableStream', () => {
  it('delivers the chunks in order and releases the lock at the end', async () => {
    const log = { pulls: 0, cancelled: [] as unknown[] };
    const stream = webNumbers(5, log);
    expect(await collect(cancelableStream(stream, new Cancelable()))).toEqual([0, 1, 2, 3, 4]);
    expect(stream.locked).toBe(false);
  });

  it('cancellation of a pending read: rejects at once, reader.cancel(reason) reaches the source', async () => {
    const log = { pulls: 0, cancelled: [] as unknown[] };
    const stream = webNumbers(2, log, true);
    const scope = new Cancelable();
    const iterator = cancelableStream(stream, scope);
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = track(iterator.next());
    await flush();
    expect(pending.settled).toBe(false);
    scope.cancel('stop reading');
    await expect(pending.promise).rejects.toBe(scope.cancelError);
    await flush();
    expect(log.cancelled).toEqual([scope.cancelError]);
    expect(stream.locked).toBe(false);
  });

  it('break cancels the stream (awaited) and releases the lock', async () => {
    const log = { pulls: 0, cancelled: [] as unknown[] };
    const stream = webNumbers(100, log);
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream(stream, scope)) if (item === 3) break;
      expect(log.cancelled).toHaveLength(1);
      expect(stream.locked).toBe(false);
    });
  });

  it('a Response body (bytes) streams and can be cancelled', async () => {
    const body = new Response('hello world').body as ReadableStream<Uint8Array>;
    const chunks = await collect(cancelableStream(body, new Cancelable()));
    expect(Buffer.concat(chunks).toString()).toBe('hello world');
  });

  it('an errored stream rejects the consumer with its error and releases the lock', async () => {
    const boom = new Error('boom');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(1);
        controller.error(boom);
      },
    });
    const error = await rejection(collect(cancelableStream(stream, new Cancelable())));
    expect(error).toBe(boom);
    expect(stream.locked).toBe(false);
  });

  it('a locked stream is a TypeError at the call', () => {
    const stream = new ReadableStream();
    const reader = stream.getReader();
    expect(() => cancelableStream(stream, new Cancelable())).toThrow(TypeError);
    expect(() => cancelableStream(stream, new Cancelable())).toThrow(/locked/);
    reader.releaseLock();
  });

  it('works chunked', async () => {
    const log = { pulls: 0, cancelled: [] as unknown[] };
    const chunks = await collect(chunkedCancelableStream(webNumbers(7, log), new Cancelable(), { chunkSize: 3 }));
    expect(chunks).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});

describe('Node Readable', () => {
  it('delivers the chunks in order (object mode, Readable.from)', async () => {
    const items = await collect(cancelableStream(Readable.from(['a', 'b', 'c']), new Cancelable()));
    expect(items).toEqual(['a', 'b', 'c']);
  });

  it('delivers byte chunks', async () => {
    const source = new PassThrough();
    source.end('some bytes');
    const chunks = await collect(cancelableStream<Buffer>(source, new Cancelable()));
    expect(Buffer.concat(chunks).toString()).toBe('some bytes');
  });

  it('cancellation of a pending read: rejects at once and destroys the stream', async () => {
    const channel = listen(channelNames.sourceError);
    onTestFinished(() => channel.stop());
    const stream = new Readable({ objectMode: true, read() {} });
    stream.push(1);
    const scope = new Cancelable();
    const iterator = cancelableStream<number>(stream, scope);
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = track(iterator.next()); // nothing more is ever pushed
    await flush();
    expect(pending.settled).toBe(false);
    scope.cancel();
    await expect(pending.promise).rejects.toBe(scope.cancelError);
    expect(stream.destroyed).toBe(true);
    await flush();
    expect(stream.closed).toBe(true);
    expect(await iterator.return()).toEqual({ done: true, value: undefined });
    expect(channel.messages).toEqual([]); // Node's own iterator finished too: its return() settled
  });

  it('break destroys the stream (its default on return())', async () => {
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield i;
      })(),
    );
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream<number>(stream, scope)) if (item === 2) break;
    });
    expect(stream.destroyed).toBe(true);
  });

  it('a stream error rejects the consumer with it', async () => {
    const boom = new Error('boom');
    const stream = new Readable({
      objectMode: true,
      read() {
        this.destroy(boom);
      },
    });
    const error = await rejection(collect(cancelableStream(stream, new Cancelable())));
    expect(error).toBe(boom);
  });

  it('a stalled stream under a timeout: run() rejects in time and the stream is destroyed', async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(20, { clock });
    const run = track(
      rejection(
        scope.run(async (scope) => {
          for await (const _ of cancelableStream(stream, scope)) {
            // never reached
          }
        }),
      ),
    );
    await clock.advance(19);
    expect(run.settled).toBe(false);
    expect(stream.destroyed).toBe(false);
    await clock.advance(1);
    expect(run.settled).toBe(true);
    const error = await run.promise;
    expect(error).toBe(scope.cancelError);
    expect(stream.destroyed).toBe(true);
  });
});
