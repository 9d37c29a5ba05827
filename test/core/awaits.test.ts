/**
 * SPEC §1.1 / §2: the awaits a scope hands out — sleep, race, wrap, and the internal
 * addCancelListener — reject promptly on cancellation and never leave a rejection unhandled.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation } from '../../src/index.js';
import { rejection, track } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';
import { onCancellation } from '../../src/core/index.js';

describe('sleep', () => {
  it('waits on the scope clock and resolves', async () => {
    const clock = new ManualClock();
    await new Cancelable({ clock }).run(async (s) => {
      const sleeping = track(s.sleep(250));
      expect(clock.delays).toEqual([250]);
      await clock.tick(249);
      expect(sleeping.settled).toBe(false);
      await clock.tick(1);
      expect(sleeping.settled).toBe(true);
    });
  });

  it('sleep(0) is always a macrotask (a real timer), never a microtask', async () => {
    const clock = new ManualClock();
    await new Cancelable({ clock }).run(async (s) => {
      const sleeping = track(s.sleep(0));
      expect(clock.delays).toEqual([0]);
      await flush();
      expect(sleeping.settled).toBe(false);
      await clock.tick(0);
      expect(sleeping.settled).toBe(true);
    });
    // With the system clock: a loop of sleep(0) lets timers and I/O run.
    await new Cancelable().run(async (s) => {
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      for (let i = 0; i < 5 && !timerRan; i++) await s.sleep(0);
      expect(timerRan).toBe(true);
    });
  });

  it('durations beyond the setTimeout limit are armed in steps, not fired after 1 ms', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const run = scope.run(async (s) => {
      const sleeping = track(s.sleep(2_147_483_647 + 1_000));
      expect(clock.delays).toEqual([2_147_483_647]);
      await clock.tick(2_147_483_647);
      expect(sleeping.settled).toBe(false);
      expect(clock.delays).toEqual([1_000]);
      s.cancel();
      await rejection(sleeping.promise);
      expect(clock.pending).toBe(1); // only the grace timer
      s.throwIfCancelled();
    });
    expect(await rejection(run)).toBe(scope.cancelError);
    expect(clock.pending).toBe(0);
  });

  it('rejects at once when already cancelled, and when cancelled while waiting (timer cleared)', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: Infinity });
    await rejection(
      scope.run(async (s) => {
        const sleeping = rejection(s.sleep(1_000));
        s.cancel('now');
        expect(await sleeping).toBe(s.cancelError);
        expect(clock.pending).toBe(0);
        expect(await rejection(s.sleep(1_000))).toBe(s.cancelError);
        expect(clock.pending).toBe(0);
        s.throwIfCancelled();
      }),
    );
  });
});

describe('race', () => {
  it('resolves or rejects with the promise; plain values pass through', async () => {
    await new Cancelable().run(async (s) => {
      expect(await s.race(Promise.resolve('v'))).toBe('v');
      expect(await s.race(7)).toBe(7);
      const boom = new Error('boom');
      expect(await rejection(s.race(Promise.reject(boom)))).toBe(boom);
      const thenable: PromiseLike<string> = {
        then: (resolve) => Promise.resolve(resolve?.('thenable')) as never,
      };
      expect(await s.race(thenable)).toBe('thenable');
    });
  });

  it('rejects with the cancellation error; the losing promise rejecting later is handled', async () => {
    const scope = new Cancelable();
    let failLoser!: (error: Error) => void;
    const loser = new Promise<string>((_, reject) => (failLoser = reject));
    const error = await rejection(
      scope.run(async (s) => {
        const racing = s.race(loser);
        s.cancel();
        await racing;
      }),
    );
    expect(error).toBeInstanceOf(ManualCancelation);
    failLoser(new Error('late loser')); // would be an unhandled rejection if nobody listened
    await flush();
  });

  it('on an already-cancelled scope: rejects, and still handles the promise it was given', async () => {
    const scope = new Cancelable();
    scope.cancel();
    await rejection(
      scope.run(async (s) => {
        const given = Promise.reject(new Error('given, never awaited by the caller'));
        expect(await rejection(s.race(given))).toBe(s.cancelError);
        s.throwIfCancelled();
      }),
    );
    await flush();
  });
});

describe('wrap', () => {
  it('runs the function in the scope, checks cancellation first, races the result', async () => {
    const scope = new Cancelable({ name: 'wrapping' });
    let calls = 0;
    await rejection(
      scope.run(async (s) => {
        const load = s.wrap(async (id: string) => {
          calls++;
          expect(Cancelable.current()).toBe(s);
          await Promise.resolve();
          return `item ${id}`;
        });
        expect(await load('1')).toBe('item 1');
        const hanging = s.wrap(() => new Promise<never>(() => {}));
        const pending = rejection(hanging());
        s.cancel();
        expect(await pending).toBe(s.cancelError);
        expect(await rejection(load('2'))).toBe(s.cancelError);
        expect(calls).toBe(1); // not called once cancelled
        s.throwIfCancelled();
      }),
    );
  });

  it('a synchronous throw becomes a rejection', async () => {
    await new Cancelable().run(async (s) => {
      const boom = new Error('sync');
      const failing = s.wrap(() => {
        throw boom;
      });
      expect(await rejection(failing())).toBe(boom);
    });
  });
});

describe('addCancelListener (internal API for streams, workers, processes)', () => {
  it('calls the listener once, synchronously, with the error; unsubscribe works; immediate if cancelled', async () => {
    const scope = new Cancelable();
    const calls: unknown[] = [];
    await rejection(
      scope.run(async (s) => {
        onCancellation(s, (error) => calls.push(['kept', error]));
        const off = onCancellation(s, () => calls.push('removed'));
        off();
        s.cancel();
        expect(calls).toEqual([['kept', s.cancelError]]);
        s.cancel();
        onCancellation(s, (error) => calls.push(['late', error]));
        expect(calls).toHaveLength(2);
        await s.sleep(1);
      }),
    );
  });
});

// Mutation testing (docs/reliability.md): the waits of a scope that is already cancelled or has ended,
// listeners, and waitForCancel.
describe('waits on a cancelled or ended scope', () => {
  it('race() of a plain value or a foreign thenable on a cancelled scope rejects at once', async () => {
    const scope = new Cancelable();
    scope.cancel('gone');
    const error = scope.cancelError;
    await expect(scope.race(42)).rejects.toBe(error);
    let handled = false;
    const thenable = { then: (_: unknown, onError: unknown) => void (handled = typeof onError === 'function') };
    await expect(scope.race(thenable as unknown as PromiseLike<number>)).rejects.toBe(error);
    expect(handled).toBe(true);
  });

  it('race() on an ended scope is a plain await', async () => {
    const scope = new Cancelable();
    await scope.run(() => undefined);
    await expect(scope.race(Promise.resolve(5))).resolves.toBe(5);
    await expect(scope.race(6)).resolves.toBe(6);
  });

  it('race() of a thenable whose then() throws rejects with that error', async () => {
    const error = new Error('then() threw');
    await new Cancelable().run(async (s) => {
      const thenable = {
        then(): never {
          throw error;
        },
      };
      await expect(s.race(thenable as unknown as PromiseLike<number>)).rejects.toBe(error);
    });
  });

  it('race() of a thenable that rejects synchronously, then throws: the first outcome stands, nothing thrown', async () => {
    const first = new Error('rejected inside then()');
    await new Cancelable().run(async (s) => {
      const hostile = {
        then(_onValue: unknown, onError: (error: unknown) => void): never {
          onError(first);
          throw new Error('then() threw after rejecting');
        },
      };
      let raced: Promise<number> | undefined;
      expect(() => {
        raced = s.race(hostile as unknown as PromiseLike<number>);
      }).not.toThrow();
      await expect(raced).rejects.toBe(first);
    });
  });

  it('a pending race rejects as soon as the scope is cancelled', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    await scope.run(async (s) => {
      const racing = s.race(new Promise<never>(() => {}));
      expect(s.cancel()).toBe(true);
      await expect(racing).rejects.toBe(s.cancelError);
    });
  });

  it('onCancellation: at once when cancelled, once on cancel, never when ended; off() is safe after it fired', async () => {
    const seen: unknown[] = [];
    const cancelled = new Cancelable();
    cancelled.cancel();
    onCancellation(cancelled, (error) => void seen.push(error));
    expect(seen).toEqual([cancelled.cancelError]);

    seen.length = 0;
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let off!: () => void;
    const run = rejection(
      scope.run(async (s) => {
        off = onCancellation(s, (error) => void seen.push(error));
        await s.sleep(10);
      }),
    );
    await flush();
    scope.cancel();
    expect(seen).toEqual([scope.cancelError]);
    expect(() => off()).not.toThrow();
    await run;

    const ended = new Cancelable();
    await ended.run(() => undefined);
    const offEnded = onCancellation(ended, () => void seen.push('never'));
    expect(() => offEnded()).not.toThrow();
    expect(seen).toEqual([scope.cancelError]);
  });

  it('a listener still registered when its scope ends uncancelled lets the run settle', async () => {
    const seen: unknown[] = [];
    const value = await new Cancelable().run((s) => {
      onCancellation(s, () => void seen.push('never'));
      return 'ended';
    });
    expect(value).toBe('ended');
    expect(seen).toEqual([]);
  });

  it('waitForCancel(): the cancellation error when it comes, at once when cancelled, never when ended', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let waited!: Promise<unknown>;
    const run = rejection(
      scope.run(async (s) => {
        waited = s.waitForCancel();
        await s.sleep(10);
      }),
    );
    await flush();
    scope.cancel();
    await expect(waited).resolves.toBe(scope.cancelError);
    await expect(scope.waitForCancel()).resolves.toBe(scope.cancelError);
    await run;
    const ended = new Cancelable();
    await ended.run(() => undefined);
    const never = track(ended.waitForCancel());
    await flush();
    expect(never.settled).toBe(false);
  });
});

describe('a race whose promise settles after the cancellation', () => {
  it('lets the late value go without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let resolveLate!: (value: number) => void;
      const late = new Promise<number>((resolve) => (resolveLate = resolve));
      await new Cancelable().run(async (s) => {
        const racing = s.race(late);
        s.cancel();
        await expect(racing).rejects.toBe(s.cancelError);
      });
      resolveLate(1);
      await flush();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
