/**
 * Comparison — p-timeout 7 vs cancelable's withTimeout(): both release the caller on time; only a
 * scope also hands the work a signal that stops it.
 * Run: npx tsx examples/comparison/p-timeout.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import pTimeout, { TimeoutError } from 'p-timeout';
import { TimeoutCancelation, withTimeout } from 'cancelable-ts';

let workFinished = 0;
async function work(signal?: AbortSignal): Promise<string> {
  await delay(300, undefined, { signal });
  workFinished++;
  return 'result';
}

try {
  await pTimeout(work(), { milliseconds: 100 });
} catch (error) {
  if (!(error instanceof TimeoutError)) throw error;
  console.log(`p-timeout: ${error.message}`);
}
await delay(300);
console.log(`p-timeout: the work kept running and finished anyway (${workFinished} finished)`);

try {
  await withTimeout(100, (scope) => work(scope.signal));
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`cancelable: ${error.message}`);
}
await delay(300);
console.log(`cancelable: the work was stopped through scope.signal (${workFinished} finished in all)`);
