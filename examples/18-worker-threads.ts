/**
 * 18 — Worker threads: runInWorker() runs a worker file in a scope linked to the caller's; a
 * CPU-bound loop in the worker sees the cancellation through shared memory, without yielding.
 * Run: npx tsx examples/18-worker-threads.ts
 */
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';
import { runInWorker } from 'cancelable-ts/worker';

const crunch = new URL('./workers/crunch.mjs', import.meta.url);

// Enough time: the worker's result comes back.
const primes = await Cancelable.withTimeout(5_000, { name: 'small-crunch' }).run(() =>
  runInWorker<number>(crunch, { workerData: { limit: 20_000 } }),
);
console.log(`  primes below 20,000: ${primes}`);

// Not enough time: the worker's loop stops at its next check, and run() rejects on time.
const start = performance.now();
try {
  await Cancelable.withTimeout(150, { name: 'huge-crunch' }).run(() =>
    runInWorker<number>(crunch, { workerData: { limit: 1e12 } }),
  );
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`  huge-crunch cancelled after ${Math.round(performance.now() - start)} ms: ${error.message}`);
}
