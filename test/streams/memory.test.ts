/**
 * 1,000,000 items stream without growth in memory: the heap after a forced GC at item 1,000,000 is
 * no larger (within a small slack) than at item 100,000. The vitest config runs forks with --expose-gc.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, cancelableStream, chunkedCancelableStream } from '../../src/index.js';

const ITEMS = 1_000_000;
const SLACK = 2 * 1024 * 1024; // bytes: noise of the runner, JIT code, etc.

function heapAfterGC(): number {
  const gc = globalThis.gc as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function* numbers(n: number): AsyncGenerator<{ index: number; payload: string }> {
  // Objects, not small integers: a retained item would show.
  for (let i = 0; i < n; i++) yield { index: i, payload: `item ${i}` };
}

describe('memory', () => {
  it('cancelableStream: 1,000,000 items, no growth', async () => {
    let atStart = 0;
    let atEnd = 0;
    let count = 0;
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream(numbers(ITEMS), scope)) {
        count++;
        if (item.index === 99_999) atStart = heapAfterGC();
        if (item.index === ITEMS - 1) atEnd = heapAfterGC();
      }
      expect(scope.context.partialResult).toMatchObject({ count: ITEMS, completed: true });
    });
    expect(count).toBe(ITEMS);
    expect(atEnd - atStart).toBeLessThan(SLACK);
  });

  it('with bufferSize, progress and bufferPartial (the last 1,000 kept): no growth', async () => {
    let atStart = 0;
    let atEnd = 0;
    const scope = new Cancelable();
    await scope.run(async (scope) => {
      const options = { bufferSize: 32, reportInterval: 10_000, bufferPartial: true };
      for await (const item of cancelableStream(numbers(ITEMS), scope, options)) {
        if (item.index === 99_999) atStart = heapAfterGC();
        if (item.index === ITEMS - 1) atEnd = heapAfterGC();
      }
    });
    expect(scope.context.progress?.message).toBe(`Processed ${ITEMS} items`);
    expect(atEnd - atStart).toBeLessThan(SLACK);
  });

  it('chunked: 1,000,000 items, no growth', async () => {
    let atStart = 0;
    let atEnd = 0;
    let count = 0;
    await new Cancelable().run(async (scope) => {
      for await (const chunk of chunkedCancelableStream(numbers(ITEMS), scope, { chunkSize: 100, maxWaitMs: 1_000 })) {
        count += chunk.length;
        if (count === 100_000) atStart = heapAfterGC();
        if (count === ITEMS) atEnd = heapAfterGC();
      }
    });
    expect(count).toBe(ITEMS);
    expect(atEnd - atStart).toBeLessThan(SLACK);
  });
});
