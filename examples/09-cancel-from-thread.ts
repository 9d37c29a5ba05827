/**
 * 09 — Cancel from a thread: a SharedCancelationToken lives in shared memory; a worker thread
 * cancels it with cancelSync() and the main thread's scope stops at once.
 * Run: npx tsx examples/09-cancel-from-thread.ts
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Cancelable, ManualCancelation } from 'cancelable-ts';
import { SharedCancelationToken } from 'cancelable-ts/worker';

const token = new SharedCancelationToken();
const worker = new Worker(new URL('./workers/canceller.mjs', import.meta.url), {
  workerData: { token: token.buffer, delayMs: 150 },
});
const exited = once(worker, 'exit');

try {
  await Cancelable.withToken(token, { name: 'async_worker' }).run(async (scope) => {
    for (let i = 1; ; i++) {
      await scope.sleep(40);
      console.log(`  [main] working... ${i}`);
    }
  });
} catch (error) {
  if (!(error instanceof ManualCancelation)) throw error;
  console.log(`  [main] operation cancelled: ${error.message}`);
} finally {
  await exited;
}
console.log(`  token seen from the main thread: cancelled=${token.isCancelled}, message="${token.message}"`);
