/**
 * ManualClock: its own contract, then driving the library — timeouts, deadlines, scope.sleep, the
 * grace timer, sources started outside a scope — and the installClock/useClock helpers.
 */
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  DeadlineSource,
  TimeoutCancelation,
  TimeoutSource,
  getDefaultClock,
  systemClock,
} from '../../src/index.js';
import { ManualClock, installClock, useClock } from '../../src/testing/index.js';

describe('ManualClock', () => {
  it('starts at 0 (or the given time) and only moves when told', async () => {
    expect(new ManualClock().now()).toBe(0);
    expect(new ManualClock({ now: new Date('2030-01-01T00:00:00Z') }).now()).toBe(Date.UTC(2030, 0, 1));
    const clock = new ManualClock({ now: 500 });
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(clock.now()).toBe(500);
    expect(await clock.advance(250)).toBe(0);
    expect(clock.now()).toBe(750);
  });

  it('fires due timers in time order, then creation order, at their own time', async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const at = (label: string) => (): void => {
      fired.push(`${label}@${clock.now()}`);
    };
    clock.setTimeout(at('c'), 30, undefined);
    clock.setTimeout(at('a1'), 10, undefined);
    clock.setTimeout(at('b'), 20, undefined);
    clock.setTimeout(at('a2'), 10, undefined);
    clock.setTimeout(at('late'), 31, undefined);
    expect(clock.pendingTimers).toBe(5);
    expect(clock.nextTimerAt()).toBe(10);
    expect(await clock.advance(30)).toBe(4);
    expect(fired).toEqual(['a1@10', 'a2@10', 'b@20', 'c@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pendingTimers).toBe(1);
  });

  it('passes the argument, and fires timers scheduled during the advance when they fall inside it', async () => {
    const clock = new ManualClock();
    const seen: unknown[] = [];
    clock.setTimeout(
      (arg: string) => {
        seen.push(arg);
        clock.setTimeout((inner: string) => seen.push(inner), 5, 'inner');
        clock.setTimeout((outside: string) => seen.push(outside), 50, 'outside');
      },
      10,
      'outer',
    );
    await clock.advance(20);
    expect(seen).toEqual(['outer', 'inner']);
    expect(clock.pendingTimers).toBe(1);
  });

  it('clearTimeout cancels; foreign and stale handles are ignored; negative delays count as 0', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const handle = clock.setTimeout(() => calls++, 10, undefined);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    clock.clearTimeout(setTimeout(() => {}, 0));
    clock.setTimeout(() => calls++, -5, undefined);
    clock.setTimeout(() => calls++, Number.NaN, undefined);
    expect(clock.pendingTimers).toBe(2);
    await clock.advance(0);
    expect(calls).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('advance lets promise continuations run between timers; advanceSync does not', async () => {
    const clock = new ManualClock();
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms, undefined));
    const steps: number[] = [];
    const chain = (async () => {
      await sleep(10);
      steps.push(clock.now());
      await sleep(10);
      steps.push(clock.now());
    })();
    await clock.advance(20);
    expect(steps).toEqual([10, 20]);
    await chain;

    const syncSteps: number[] = [];
    const syncChain = (async () => {
      await sleep(10);
      syncSteps.push(clock.now());
      await sleep(10);
      syncSteps.push(clock.now());
    })();
    expect(clock.advanceSync(20)).toBe(1); // the second sleep is not even scheduled yet
    await Promise.resolve();
    expect(syncSteps).toEqual([40]);
    clock.advanceSync(10);
    await syncChain;
    expect(syncSteps).toEqual([40, 50]);
  });

  it('runNext fires one timer; runAll fires every timer, chained ones included', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100, undefined);
    clock.setTimeout(() => fired.push(clock.now()), 200, undefined);
    expect(await clock.runNext()).toBe(true);
    expect(fired).toEqual([100]);
    let n = 0;
    const again = (): void => {
      fired.push(clock.now());
      if (++n < 3) clock.setTimeout(again, 1_000, undefined);
    };
    clock.setTimeout(again, 1_000, undefined);
    expect(await clock.runAll()).toBe(4);
    expect(fired).toEqual([100, 200, 1_100, 2_100, 3_100]);
    expect(await clock.runNext()).toBe(false);
  });

  it('runAll refuses an endless timer chain with a clear error', async () => {
    const clock = new ManualClock({ loopLimit: 50 });
    const forever = (): void => {
      clock.setTimeout(forever, 10, undefined);
    };
    clock.setTimeout(forever, 10, undefined);
    await expect(clock.runAll()).rejects.toThrow(/fired 50 timers without running out.*use advance\(ms\)/);
    clock.reset();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a throwing timer rejects advance, after the other due timers ran and time reached its target', async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      throw new Error('timer broke');
    }, 5, undefined);
    clock.setTimeout(() => fired.push('after'), 8, undefined);
    await expect(clock.advance(10)).rejects.toThrow('timer broke');
    expect(fired).toEqual(['after']);
    expect(clock.now()).toBe(10);
    expect(() => clock.advanceSync(1)).not.toThrow();
  });

  it('refuses a second advance while one is running', async () => {
    const clock = new ManualClock();
    clock.setTimeout(() => {}, 10, undefined);
    const first = clock.advance(10);
    const second = clock.advance(10);
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(rejected.reason)).toMatch(/already being advanced/);
  });

  it('setTime jumps without firing', async () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 100, undefined);
    clock.setTime(10_000);
    expect(fired).toBe(false);
    await clock.advance(0);
    expect(fired).toBe(true);
    expect(() => clock.setTime(Number.NaN)).toThrow(/epochMs must be a Date or finite epoch milliseconds, got NaN/);
  });

  it('validates its inputs', async () => {
    expect(() => new ManualClock({ now: 'soon' as never })).toThrow(/options\.now must be a Date or finite epoch milliseconds, got "soon"/);
    expect(() => new ManualClock({ loopLimit: 0 })).toThrow(/options\.loopLimit must be an integer >= 1, got 0/);
    expect(() => new ManualClock(5 as never)).toThrow(TypeError);
    const clock = new ManualClock();
    await expect(clock.advance(-1)).rejects.toThrow(/ms must be a finite number of milliseconds >= 0, got -1/);
    expect(() => clock.advanceSync(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => clock.setTimeout('x' as never, 1, undefined)).toThrow(/callback must be a function/);
  });
});

describe('ManualClock drives the library', () => {
  it('a timeout fires exactly at its time, counted from the start of the run', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(1_000, { clock });
    await clock.advance(5_000); // construction does not start the timer
    const run = scope.run((s) => s.sleep(60_000)).catch((error: unknown) => error);
    await clock.advance(999);
    expect(scope.isCancelled).toBe(false);
    await clock.advance(1);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(scope.context.durationMs).toBe(1_000);
    expect(clock.pendingTimers).toBe(0); // the sleep's timer and the timeout's are released
  });

  it('a deadline fires at its absolute time on the clock', async () => {
    const clock = new ManualClock({ now: Date.UTC(2030, 0, 1) });
    const scope = Cancelable.withDeadline(new Date(Date.UTC(2030, 0, 1, 0, 0, 2)), { clock });
    const run = scope.run((s) => s.sleep(60_000)).catch((error: unknown) => error);
    await clock.advance(1_999);
    expect(scope.isCancelled).toBe(false);
    await clock.advance(1);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect((await run) as TimeoutCancelation).toMatchObject({ timeoutMs: 2_000 });
  });

  it('with several timeouts the earliest wins, on the clock', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.combine([new TimeoutSource(300), new TimeoutSource(100), new DeadlineSource(200)], { clock });
    const run = scope.run((s) => s.sleep(1_000)).catch((error: unknown) => error);
    await clock.advance(100);
    expect(((await run) as TimeoutCancelation).timeoutMs).toBe(100);
  });

  it('scope.sleep resolves after its time; successive sleeps add up', async () => {
    const clock = new ManualClock();
    const marks: number[] = [];
    const run = new Cancelable({ clock }).run(async (s) => {
      for (let i = 0; i < 3; i++) {
        await s.sleep(100);
        marks.push(clock.now());
      }
      return 'done';
    });
    await clock.advance(300);
    await expect(run).resolves.toBe('done');
    expect(marks).toEqual([100, 200, 300]);
  });

  it('the grace period runs on the clock: run() rejects graceMs after the cancellation', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(100, { clock, graceMs: 250 });
    let settled = false;
    const run = scope
      .run(() => new Promise<void>(() => {})) // ignores cancellation
      .catch((error: unknown) => error)
      .finally(() => (settled = true));
    await clock.advance(100);
    expect(scope.isCancelled).toBe(true);
    await clock.advance(249);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await run).toBeInstanceOf(TimeoutCancelation);
    expect(scope.context.durationMs).toBe(350);
  });

  it('a source started outside a scope uses the default clock', async () => {
    await useClock(async (clock) => {
      const source = new TimeoutSource(50);
      const messages: (string | undefined)[] = [];
      source.start((message) => messages.push(message));
      await clock.advance(50);
      expect(messages).toEqual(['Operation timed out after 50ms']);
      source.stop();
    });
  });
});

describe('installClock / useClock', () => {
  it('installClock makes scopes created afterwards use the clock; uninstall restores', async () => {
    expect(getDefaultClock()).toBe(systemClock);
    const installed = installClock();
    try {
      expect(getDefaultClock()).toBe(installed.clock);
      const scope = Cancelable.withTimeout(1_000);
      expect(scope.clock).toBe(installed.clock);
      const run = scope.run((s) => s.sleep(5_000)).catch((error: unknown) => error);
      await installed.clock.advance(1_000);
      expect(await run).toBeInstanceOf(TimeoutCancelation);
    } finally {
      installed.uninstall();
      installed.uninstall();
    }
    expect(getDefaultClock()).toBe(systemClock);
  });

  it('works with `using` and restores in LIFO order', () => {
    const outer = new ManualClock();
    {
      using first = installClock(outer);
      {
        using second = installClock();
        expect(getDefaultClock()).toBe(second.clock);
      }
      expect(getDefaultClock()).toBe(first.clock);
    }
    expect(getDefaultClock()).toBe(systemClock);
  });

  it('useClock restores even when the function throws, and accepts a given clock', async () => {
    await expect(
      useClock(() => {
        throw new Error('inside');
      }),
    ).rejects.toThrow('inside');
    expect(getDefaultClock()).toBe(systemClock);
    const mine = new ManualClock({ now: 42 });
    await expect(useClock(mine, (clock) => clock.now())).resolves.toBe(42);
    expect(getDefaultClock()).toBe(systemClock);
    expect(() => installClock({} as never)).toThrow(/clock must be a Clock, got an object/);
    await expect(useClock(mine, undefined as never)).rejects.toThrow(/fn must be a function/);
  });
});
