/**
 * The system clock reads the timer globals at call time, so fake timers installed AFTER the library
 * was imported (as here: the imports run first) control timeouts, deadlines, sleeps and grace periods.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, TimeoutCancelation, getDefaultClock, systemClock } from '../../src/index.js';
import { assertCancelationWithin, createSlowStream } from '../../src/testing/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('vitest fake timers', () => {
  it('a withTimeout scope fires on vi.advanceTimersByTime', async () => {
    vi.useFakeTimers();
    expect(getDefaultClock()).toBe(systemClock);
    const scope = Cancelable.withTimeout(2_000);
    const run = scope.run((s) => s.sleep(60_000)).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(scope.isCancelled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(scope.isCancelled).toBe(true);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the synchronous vi.advanceTimersByTime fires the timeout too', async () => {
    vi.useFakeTimers();
    const scope = Cancelable.withTimeout(500);
    const run = scope.run((s) => s.sleep(10_000)).catch((error: unknown) => error);
    vi.advanceTimersByTime(500);
    expect(scope.isCancelled).toBe(true);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
  });

  it('a deadline follows the faked Date, and the grace period the faked timers', async () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const scope = Cancelable.withDeadline(new Date('2030-01-01T00:01:00Z'), { graceMs: 1_000 });
    let settled = false;
    const run = scope
      .run(() => new Promise<void>(() => {})) // ignores cancellation
      .catch((error: unknown) => error)
      .finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(scope.isCancelled).toBe(true);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(scope.context.durationMs).toBe(61_000);
  });

  it('durations follow fake timers installed after real-time scopes ran, and the real clock again after', async () => {
    // The system clock keeps the host's `performance` after its first read (a getter on every read
    // costs a tenth of a run); fake timers must still take over, and hand back.
    const real = new Cancelable();
    await real.run(() => undefined);
    expect(real.context.durationMs).toBeLessThan(1_000);
    vi.useFakeTimers();
    const faked = new Cancelable();
    const run = faked.run((s) => s.sleep(90_000_000)); // 25 h of fake time
    await vi.advanceTimersByTimeAsync(90_000_000);
    await run;
    expect(faked.context.durationMs).toBe(90_000_000);
    vi.useRealTimers();
    const again = new Cancelable();
    await again.run(() => undefined);
    expect(again.context.durationMs).toBeGreaterThanOrEqual(0);
    expect(again.context.durationMs).toBeLessThan(1_000);
  });

  it('the testing tools run on fake time through the default clock', async () => {
    vi.useFakeTimers();
    const check = assertCancelationWithin(300, 300, () =>
      Cancelable.withTimeout(300).run(async (s) => {
        for await (const _item of createSlowStream([1, 2, 3, 4, 5, 6], 100, s)) {
          // consume
        }
      }),
    );
    await vi.advanceTimersByTimeAsync(300);
    const { elapsedMs, error } = await check;
    expect(elapsedMs).toBe(300);
    expect(error).toBeInstanceOf(TimeoutCancelation);
  });
});

describe('@sinonjs/fake-timers', () => {
  it('install() after import controls withTimeout and scope.sleep', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const marks: number[] = [];
      const start = Date.now();
      const sleeper = new Cancelable().run(async (s) => {
        await s.sleep(100);
        marks.push(Date.now() - start);
        await s.sleep(100);
        marks.push(Date.now() - start);
      });
      const timed = Cancelable.withTimeout(150).run((s) => s.sleep(1_000)).catch((error: unknown) => error);
      await clock.tickAsync(200);
      await sleeper;
      expect(marks).toEqual([100, 200]);
      expect(await timed).toBeInstanceOf(TimeoutCancelation);
      expect(clock.countTimers()).toBe(0);
    } finally {
      clock.uninstall();
    }
  });
});
