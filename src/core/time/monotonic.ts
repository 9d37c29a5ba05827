/**
 * The monotonic clock of the system clock (`performance.now()`), read on every scope's start and end.
 *
 * `globalThis.performance` is an accessor in Node and in browsers (Node's checks its receiver on every
 * read), which made it a tenth of a `run()`. So the host's `performance` object is kept after the
 * first read, and used while the host's time functions (`Date`, `setTimeout`, `clearTimeout`) are the
 * ones loaded with the library. Fake-timer libraries replace those together with `performance` (their
 * default), and then every reading goes back to `globalThis.performance`, so fake timers drive
 * durations as before. Faking `performance` alone, with real timers and a real `Date`, leaves durations
 * on the real clock (consistent with the real timers that then run the timeouts).
 */
const hostDate = globalThis.Date;
const hostSetTimeout = globalThis.setTimeout;
const hostClearTimeout = globalThis.clearTimeout;
// Read at the first use rather than at load: reading `performance` loads node:perf_hooks, and
// importing the library must load no built-in it does not need (SPEC §13).
let hostPerformance: { now(): number } | undefined;

/** Whether `Date` and the timer functions are still the ones loaded with the library (no fake timers). */
export function hostTimeInPlace(): boolean {
  return globalThis.Date === hostDate && globalThis.setTimeout === hostSetTimeout && globalThis.clearTimeout === hostClearTimeout;
}

/** Milliseconds from an arbitrary origin that never go backwards (for durations and deadlines). */
export function monotonicNow(): number {
  if (hostPerformance !== undefined && hostTimeInPlace()) return hostPerformance.now();
  const performance = globalThis.performance;
  if (hostTimeInPlace()) hostPerformance = performance;
  return performance.now();
}

/** Host timers, for the shared deadline queue. */
export { hostClearTimeout, hostSetTimeout };
