/**
 * 08 — The withTimeout() helper: a one-line timeout around a promise or a function.
 * Run: npx tsx examples/08-with-timeout-helper.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import { TimeoutCancelation, withTimeout } from 'cancelable-ts';

// Around a function: it gets the scope, so it can pass the signal on (the timer below is stopped too).
const fast = await withTimeout(200, async (scope) => {
  await delay(50, undefined, { signal: scope.signal });
  return 'fast result';
});
console.log(`  Completed: ${fast}`);

try {
  await withTimeout(100, async (scope) => {
    await delay(1_000, undefined, { signal: scope.signal });
    return 'slow result';
  });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`  Timed out: ${error.message}`);
}

// Around a promise you do not control: the caller is released on time (the work itself is not stopped).
const controller = new AbortController();
try {
  await withTimeout(100, delay(1_000, 'late', { signal: controller.signal }), { name: 'legacy-call' });
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`  Promise timed out: ${error.message}`);
} finally {
  controller.abort(); // stop the timer behind it so the process can exit
}
