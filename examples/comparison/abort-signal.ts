/**
 * Comparison — plain AbortSignal vs cancelable, on the same two jobs: a cooperative wait with a
 * timeout, and a promise that ignores the signal.
 * Run: npx tsx examples/comparison/abort-signal.ts
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Cancelable, TimeoutCancelation } from 'cancelable-ts';

const elapsed = (start: number): string => `${Math.round(performance.now() - start)} ms`;

// 1. A cooperative wait: both work; the errors differ (AbortError + cause vs a typed TimeoutCancelation).
let start = performance.now();
try {
  await delay(1_000, undefined, { signal: AbortSignal.timeout(100) });
} catch (error) {
  console.log(`AbortSignal: ${(error as Error).name} after ${elapsed(start)} (cause: ${((error as Error).cause as Error).name})`);
}
start = performance.now();
try {
  await Cancelable.withTimeout(100).run((scope) => delay(1_000, undefined, { signal: scope.signal }));
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`cancelable: ${error.name} (reason ${error.reason}, timeoutMs ${error.timeoutMs}) after ${elapsed(start)}`);
}

// 2. A promise that ignores the signal: with AbortSignal alone the caller waits for it; run() does not.
let timer: NodeJS.Timeout | undefined;
const stubborn = (): Promise<string> => new Promise((resolve) => (timer = setTimeout(resolve, 400, 'late value')));
start = performance.now();
const signal = AbortSignal.timeout(100);
const value = await stubborn(); // nothing to hand the signal to
console.log(`AbortSignal: waited ${elapsed(start)} for "${value}" (signal aborted: ${signal.aborted})`);
start = performance.now();
try {
  await Cancelable.withTimeout(100).run(() => stubborn());
} catch (error) {
  if (!(error instanceof TimeoutCancelation)) throw error;
  console.log(`cancelable: run() rejected after ${elapsed(start)} (timeout + 100 ms grace), the late value is dropped`);
} finally {
  clearTimeout(timer);
}
