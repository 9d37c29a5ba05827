/**
 * 16 — Stream processing: iterate any async source so that cancellation stops it at once, even
 * while it is waiting for its next item; chunks for batch work; progress every n items.
 * Run: npx tsx examples/16-stream-processing.ts
 */
import { Readable } from 'node:stream';
import {
  Cancelable,
  CancelableAsyncIterator,
  CancelationToken,
  TimeoutCancelation,
  cancelableStream,
  chunkedCancelableStream,
  isCancelationError,
} from 'cancelable-ts';

async function* dataSource(label: string, count: number, delayMs: number): AsyncGenerator<number> {
  try {
    for (let i = 1; i <= count; i++) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      yield i;
    }
  } finally {
    console.log(`    (${label} source closed)`);
  }
}

// 1. A stream under a timeout: stops mid-way, the generator's finally runs.
console.log('1. cancelableStream with a timeout');
const timed = Cancelable.withTimeout(120, { name: 'stream_processor' });
try {
  await timed.run(async (scope) => {
    for await (const item of cancelableStream(dataSource('timed', 100, 20), scope, { reportInterval: 2 })) {
      if (item % 2 === 0) console.log(`    item ${item}`);
    }
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`    stopped: ${error.message}; partial result: ${JSON.stringify(timed.partialResult)}`);
}

// 2. Manual stop with a token, and the class-based iterator.
console.log('2. CancelableAsyncIterator stopped by a token');
const token = new CancelationToken();
setTimeout(() => void token.cancel('User stopped stream'), 90);
try {
  await Cancelable.withToken(token).run(async (scope) => {
    let sum = 0;
    for await (const item of new CancelableAsyncIterator(dataSource('token', 100, 20), scope)) sum += item;
    return sum;
  });
} catch (error) {
  if (!isCancelationError(error)) throw error;
  console.log(`    stopped: ${error.message}`);
}

// 3. Chunks for batch work, from a Node Readable (web ReadableStreams and plain iterables work too).
console.log('3. chunkedCancelableStream over a Node Readable');
const rows = Readable.from(Array.from({ length: 23 }, (_, i) => ({ id: i + 1 })));
await Cancelable.withTimeout(1_000).run(async (scope) => {
  for await (const chunk of chunkedCancelableStream(rows, scope, { chunkSize: 10 })) {
    console.log(`    batch insert of ${chunk.length} rows (ids ${chunk[0]!.id}..${chunk.at(-1)!.id})`);
  }
});
