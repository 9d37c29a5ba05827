/**
 * Comparison — abortable-iterator 5 vs cancelable's streams: stop an async iterable that is
 * waiting for its next item.
 * Run: npx tsx examples/comparison/abortable-iterator.ts
 */
import { abortableSource } from 'abortable-iterator';
import { Cancelable, isCancelation } from 'cancelable-ts';

async function* ticks(label: string): AsyncGenerator<number> {
  try {
    for (let i = 1; ; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      yield i;
    }
  } finally {
    console.log(`${label}: source closed`);
  }
}

let count = 0;
try {
  for await (const _ of abortableSource(ticks('abortable-iterator'), AbortSignal.timeout(150))) count++;
} catch (error) {
  console.log(`abortable-iterator: ${(error as Error).name} after ${count} items`);
}

count = 0;
try {
  await Cancelable.withTimeout(150).run(async (scope) => {
    for await (const _ of scope.stream(ticks('cancelable'))) count++;
  });
} catch (error) {
  if (!isCancelation(error)) throw error;
  console.log(`cancelable: ${(error as Error).name} after ${count} items`);
}
await new Promise((resolve) => setTimeout(resolve, 60)); // let both generators finish closing
