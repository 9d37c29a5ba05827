/**
 * Comparison — abort-controller-x vs cancelable: both stop a delay on abort; with abort-controller-x
 * every helper takes the signal by hand, a scope is found with Cancelable.current().
 * Run: npx tsx examples/comparison/abort-controller-x.ts
 */
import { delay, isAbortError } from 'abort-controller-x';
import { Cancelable, isCancelation } from 'cancelable-ts';

const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 100);
try {
  await delay(controller.signal, 1_000);
} catch (error) {
  if (!isAbortError(error)) throw error;
  console.log('abort-controller-x: delay aborted (the signal was passed by hand)');
} finally {
  clearTimeout(timer);
}

async function step(): Promise<void> {
  await Cancelable.current()?.sleep(1_000);
}
try {
  await Cancelable.withTimeout(100).run(() => step());
} catch (error) {
  if (!isCancelation(error)) throw error;
  console.log('cancelable: step() stopped (it found its scope with Cancelable.current())');
}
