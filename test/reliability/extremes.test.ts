/**
 * Issue 16 #1 and "valid extreme values are never run": 2³¹ ms, Number.MAX_SAFE_INTEGER ms and dates
 * at the edge of the Date range (±8.64e15) as timeouts, deadlines, sleeps and grace periods — of a
 * scope, of spawn/fork and of runInWorker. Node clamps a delay above 2³¹−1 ms to 1 ms; every timer the
 * library arms must step instead, so nothing fires early. Fake time (ManualClock) where the delay is
 * long; real processes and workers where the grace is checked.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { inScope } from '../harness/in-scope.js';
import { TSX_ENTRY } from '../threads/helpers.js';

const MAX_DATE = 8.64e15;
const EXTREMES: [string, number][] = [
  ['2³¹ ms', 2 ** 31],
  ['Number.MAX_SAFE_INTEGER ms', Number.MAX_SAFE_INTEGER],
];
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('timeouts, deadlines and sleeps at the extremes (fake time)', () => {
  it('a 2³¹ ms timeout fires at 2³¹ ms, not 1 ms', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(2 ** 31, { clock });
    const run = scope.run((s) => s.sleep(Number.MAX_SAFE_INTEGER)).catch((e: unknown) => e);
    await clock.advance(2 ** 31 - 1);
    expect(scope.isCancelled).toBe(false);
    await clock.advance(1);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each(EXTREMES)('a %s timeout, sleep and grace: nothing fires a ms early, one timer each', async (_label, ms) => {
    const clock = new ManualClock();
    const scope = new Cancelable({ timeout: ms, graceMs: ms, clock });
    let slept = false;
    const run = scope.run(async (s) => {
      await s.sleep(ms);
      slept = true;
    });
    await clock.advance(Math.min(ms - 1, 3 * 2 ** 31)); // 3 steps of the stepped timer at most
    expect(scope.isCancelled).toBe(false);
    expect(slept).toBe(false);
    expect(clock.pendingTimers).toBe(2); // the timeout and the sleep, each stepped, not a flood
    scope.cancel('done');
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a deadline at the edge of the Date range never fires early; one before the range start fires at start', async () => {
    const clock = new ManualClock({ now: 0 });
    const far = Cancelable.withDeadline(new Date(MAX_DATE), { clock });
    const run = far.run((s) => s.sleep(10));
    await clock.advance(3 * 2 ** 31);
    await expect(run).resolves.toBeUndefined();
    expect(far.status).toBe('completed');
    const past = Cancelable.withDeadline(-MAX_DATE, { clock });
    const error = await past.run((s) => s.sleep(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).message).toBe('Deadline -271821-04-20T00:00:00.000Z reached');
  });
});

describe('real time: nothing fires early (issue 16 #1)', () => {
  it.each(EXTREMES)('a %s timeout and sleep are still pending after 50 ms', async (_label, ms) => {
    const scope = new Cancelable({ timeout: ms, deadline: MAX_DATE });
    let slept = false;
    const run = scope.run(async (s) => {
      await s.sleep(ms);
      slept = true;
    });
    await tick(50);
    expect(scope.isCancelled).toBe(false);
    expect(slept).toBe(false);
    scope.cancel();
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
  });

  it.each(EXTREMES)('graceMs %s: a body that ignores the cancel is waited for, not abandoned after 1 ms', async (_label, ms) => {
    const scope = new Cancelable({ graceMs: ms });
    let bodyEnded = false;
    const run = scope.run(async () => {
      await tick(150); // ignores the cancellation
      bodyEnded = true;
    });
    scope.cancel('stop');
    // Abandoned after 1 ms, run() would reject with the cancellation before the body ended; waited
    // for, the body's value wins (SPEC §3).
    await expect(run).resolves.toBeUndefined();
    expect(bodyEnded).toBe(true);
    expect(scope.status).toBe('completed');
  });

  it.each(EXTREMES)('spawn graceMs %s: a child that ignores SIGTERM is not SIGKILLed early', async (_label, graceMs) => {
    let child: ChildProcess | undefined;
    const scope = new Cancelable();
    const script = 'process.on("SIGTERM", () => {}); console.log("ready"); setTimeout(() => process.exit(0), 400)';
    const run = scope.run(async (s) => {
      const promise = inScope(s).spawn(process.execPath, ['-e', script], { graceMs });
      child = promise.child;
      await new Promise((resolve) => child!.stdout!.once('data', resolve));
      s.cancel('stop');
      await promise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(child!.signalCode).toBeNull(); // it ended by itself
    expect(child!.exitCode).toBe(0);
  });

  it.each(EXTREMES)('fork graceMs %s: a child that ignores the cancel is not SIGKILLed early', async (_label, graceMs) => {
    let child: ChildProcess | undefined;
    const scope = new Cancelable();
    const run = scope.run(async (s) => {
      const promise = inScope(s).fork(fixture('fork-late.mjs'), [], { graceMs });
      child = promise.child;
      await new Promise((resolve) => child!.once('message', resolve));
      s.cancel('stop');
      await promise;
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(child!.signalCode).toBeNull();
    expect(child!.exitCode).toBe(0);
  });

  it.each(EXTREMES)('runInWorker graceMs %s: the worker is not terminated early', async (_label, graceMs) => {
    const done = new Int32Array(new SharedArrayBuffer(12));
    const scope = new Cancelable();
    let rejectedAt = 0;
    let cancelledAt = 0;
    const run = scope.run(async (s) => {
      const worker = inScope(s).runInWorker(TSX_ENTRY, { argv: [fixture('worker-late.ts')], workerData: { done }, graceMs });
      while (Atomics.load(done, 1) === 0) await tick(5);
      cancelledAt = Date.now();
      s.cancel('stop');
      await worker.catch((error: unknown) => {
        rejectedAt = Date.now();
        throw error;
      });
    });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(rejectedAt - cancelledAt).toBeLessThan(200); // the caller learns at once (#4)...
    expect(Atomics.load(done, 0)).toBe(1); // ...and the worker ran to its end: not terminated after 1 ms
  });
});
