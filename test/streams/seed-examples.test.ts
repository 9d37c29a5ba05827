/**
 * The examples of the seed page "Streaming Cancelation" (hother-cancelable), translated to TypeScript
 * (seconds -> milliseconds, keyword arguments -> options) and run under fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelableAsyncIterator,
  CancelationToken,
  ManualCancelation,
  TimeoutCancelation,
  cancelableStream,
  chunkedCancelableStream,
} from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A data source producing one item per `everyMs` forever; records its cleanup. */
function dataSource(everyMs: number, log: string[]): AsyncGenerator<number> {
  return (async function* () {
    try {
      for (let i = 0; ; i++) {
        await sleep(everyMs);
        yield i;
      }
    } finally {
      log.push('source closed');
    }
  })();
}

/** A finite data stream of `n` items, one per `everyMs`. */
async function* dataStream(n: number, everyMs: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    if (everyMs > 0) await sleep(everyMs);
    yield i;
  }
}

describe('seed: Streaming Cancelation', () => {
  it('Simple Stream with Timeout: the stream stops on timeout', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const processed: number[] = [];
    const processItem = async (item: number): Promise<void> => {
      await sleep(100);
      processed.push(item);
    };
    // async with Cancelable.with_timeout(60.0, name="stream_processor") as cancel:
    //     async for item in cancelable_stream(data_source(), cancel):
    //         await process_item(item)
    const cancel = Cancelable.withTimeout(60_000, { name: 'stream_processor' });
    const processStream = cancel.run(async (cancel) => {
      for await (const item of cancelableStream(dataSource(1_000, log), cancel)) {
        await processItem(item);
      }
    });
    const outcome = processStream.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(60_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(cancel.context).toMatchObject({ status: 'cancelled', cancelReason: 'timeout', name: 'stream_processor' });
    // An item every 1.1 s (1 s to produce, 0.1 s to process): 54 done when the minute is up.
    expect(processed).toHaveLength(54);
    expect(cancel.context.partialResult).toMatchObject({ count: 54, completed: false });
    // The source was waiting in its own sleep: it closes when that sleep ends (nothing waits for it).
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log).toEqual(['source closed']);
  });

  it('Manual Stream Cancelation: a token stops the stream from another task', async () => {
    vi.useFakeTimers();
    const token = new CancelationToken();
    const processed: number[] = [];
    const log: string[] = [];
    const streamWorker = async (): Promise<void> => {
      await Cancelable.withToken(token).run(async (cancel) => {
        for await (const item of cancelableStream(dataSource(1_000, log), cancel)) processed.push(item);
      });
    };
    const streamController = async (): Promise<void> => {
      await sleep(10_000);
      await token.cancel('User stopped stream');
    };
    // async with anyio.create_task_group() as tg: tg.start_soon(stream_worker); tg.start_soon(stream_controller)
    const both = Promise.allSettled([streamWorker(), streamController()]);
    await vi.advanceTimersByTimeAsync(10_000);
    const [worker, controller] = await both;
    expect(controller.status).toBe('fulfilled');
    expect(worker.status).toBe('rejected');
    const reason = (worker as PromiseRejectedResult).reason as ManualCancelation;
    expect(reason).toBeInstanceOf(ManualCancelation);
    expect(reason.message).toBe('User stopped stream');
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]); // the 10th item was due at the very moment
  });

  it('The cancelable_stream utility: any async iterator, optional buffering', async () => {
    const items: number[] = [];
    // wrapped = cancelable_stream(async_iterator=my_stream(), cancelable=cancel, buffer_size=100)
    await Cancelable.withTimeout(30_000).run(async (cancel) => {
      const wrapped = cancelableStream(dataStream(250, 0), cancel, { bufferSize: 100 });
      for await (const item of wrapped) items.push(item);
    });
    expect(items).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('CancelableAsyncIterator: the class-based alternative', async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const seen: number[] = [];
    const cancel = Cancelable.withTimeout(5_000);
    const run = cancel
      .run(async (cancel) => {
        const stream = new CancelableAsyncIterator(dataSource(1_000, log), cancel);
        for await (const item of stream) seen.push(item); // stops on cancelation
      })
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('chunked_cancelable_stream: chunks of up to 100 items, cancelation checked between chunks', async () => {
    vi.useFakeTimers();
    const batches: number[] = [];
    const batchProcess = async (chunk: number[]): Promise<void> => {
      await sleep(1_000);
      batches.push(chunk.length);
    };
    const cancel = Cancelable.withTimeout(300_000);
    const run = cancel.run(async (cancel) => {
      for await (const chunk of chunkedCancelableStream(dataStream(1_050, 10), cancel, { chunkSize: 100 })) {
        await batchProcess(chunk);
      }
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await run;
    expect(batches).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
  });
});
