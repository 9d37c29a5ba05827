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
