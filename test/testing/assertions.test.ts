import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { ManualClock, assertCancelationWithin } from '../../src/testing/index.js';

async function failure(promise: Promise<unknown>): Promise<AssertionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AssertionError);
  return error as AssertionError;
}

describe('assertCancelationWithin', () => {
  it('passes for a cancellation inside the window, with the error and the time', async () => {
    const clock = new ManualClock();
    const check = assertCancelationWithin(
      900,
      1_100,
      () => Cancelable.withTimeout(1_000, { clock }).run((s) => s.sleep(5_000)),
      { clock },
    );
    await clock.advance(1_000);
    const { error, elapsedMs } = await check;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(elapsedMs).toBe(1_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('accepts a promise, and native AbortErrors count as cancellations', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const pending = new Promise((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason));
    });
    clock.setTimeout(() => controller.abort(), 50, undefined);
    const check = assertCancelationWithin(50, 50, pending, { clock });
    await clock.advance(50);
    const { error } = await check;
    expect((error as DOMException).name).toBe('AbortError');
  });

  it('uses real time by default', async () => {
    const { error, elapsedMs } = await assertCancelationWithin(0, 10_000, () =>
      Cancelable.withTimeout(5).run((s) => s.sleep(10_000)),
    );
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(elapsedMs).toBeGreaterThanOrEqual(4);
  });

  it('fails when fn completes', async () => {
    const clock = new ManualClock();
    const check = failure(
      assertCancelationWithin(0, 100, () => new Cancelable({ clock }).run(async (s) => {
        await s.sleep(10);
        return 'finished';
      }), { clock }),
    );
    await clock.advance(10);
    const error = await check;
    expect(error.message).toBe(
      "Expected a cancellation between 0 and 100 ms after the call, but it completed after 10 ms with 'finished'",
    );
  });

  it('fails when fn rejects with something else, keeping it as cause', async () => {
    const boom = new TypeError('not a cancellation');
    const error = await failure(assertCancelationWithin(0, 100, () => Promise.reject(boom)));
    expect(error.message).toMatch(/but it failed after \d+ ms with TypeError: not a cancellation \(not a cancellation\)/);
    expect(error.cause).toBe(boom);
    const thrown = await failure(
      assertCancelationWithin(0, 100, () => {
        throw boom;
      }),
    );
    expect(thrown.cause).toBe(boom);
  });

  it('fails when the cancellation comes too early or too late', async () => {
    const clock = new ManualClock();
    // Attach the handler (failure()) before moving the clock: the assertion rejects during advance().
    const early = failure(
      assertCancelationWithin(100, 200, () => Cancelable.withTimeout(50, { clock }).run((s) => s.sleep(1_000)), { clock }),
    );
    await clock.advance(50);
    const tooEarly = await early;
    expect(tooEarly.message).toBe(
      'Expected a cancellation between 100 and 200 ms after the call, but it was cancelled too early, after 50 ms',
    );
    expect(tooEarly.cause).toBeInstanceOf(TimeoutCancelation);

    const abandoned = Cancelable.withTimeout(150, { clock });
    const late = failure(assertCancelationWithin(0, 100, () => abandoned.run((s) => s.sleep(1_000)).catch((e: unknown) => {
      throw e;
    }), { clock }));
    await clock.advance(150);
    const tooLate = await late;
    // The watchdog gives up at maxMs: the operation is still running then.
    expect(tooLate.message).toBe('Expected a cancellation between 0 and 100 ms after the call, but it was still running after 100 ms');
    await clock.runAll();
  });

  it('a cancellation due exactly at maxMs passes (the watchdog lets it settle first)', async () => {
    const clock = new ManualClock();
    const check = assertCancelationWithin(100, 100, () => {
      const scope = new Cancelable({ clock });
      return scope.run(async (s) => {
        clock.setTimeout(() => s.cancel('now'), 100, undefined);
        await s.sleep(1_000);
      });
    }, { clock });
    await clock.advance(100);
    expect((await check).error).toBeInstanceOf(ManualCancelation);
  });

  it('maxMs = Infinity waits however long it takes', async () => {
    const clock = new ManualClock();
    const check = assertCancelationWithin(1_000, Infinity, () =>
      Cancelable.withTimeout(86_400_000, { clock }).run((s) => s.sleep(100_000_000)),
    { clock });
    await clock.advance(86_400_000);
    expect((await check).elapsedMs).toBe(86_400_000);
    const error = await failure(assertCancelationWithin(0, Infinity, () => 1, { clock }));
    expect(error.message).toMatch(/^Expected a cancellation at least 0 ms after the call, but it completed after 0 ms with 1$/);
  });

  it('validates its inputs', async () => {
    await expect(assertCancelationWithin(-1, 10, () => 1)).rejects.toThrow(/minMs must be a finite number of milliseconds >= 0, got -1/);
    await expect(assertCancelationWithin(0, Number.NaN, () => 1)).rejects.toThrow(/maxMs must be a number of milliseconds >= 0 \(or Infinity\), got NaN/);
    await expect(assertCancelationWithin(20, 10, () => 1)).rejects.toThrow(/minMs \(20\) must not be greater than maxMs \(10\)/);
    await expect(assertCancelationWithin(0, 10, 'fn' as never)).rejects.toThrow(/fn must be a function or a promise, got "fn"/);
    await expect(assertCancelationWithin(0, 10, () => 1, { clock: 5 as never })).rejects.toThrow(/options\.clock must be a Clock, got 5/);
  });
});
