/**
 * SPEC §2 shields: not cancelled by the scope or its ancestors; own timeout; run() waits for every
 * shield in progress whatever the grace period; shield() rejects with the outer error afterwards.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { rejection, track } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

describe('shield()', () => {
  it('returns the body value when nothing was cancelled', async () => {
    const scope = new Cancelable({ name: 'outer' });
    const value = await scope.run(async (s) => {
      const inner = await s.shield(async (shielded) => {
        expect(shielded).not.toBe(s);
        expect(shielded.name).toBe('outer:shield');
        expect(Cancelable.current()).toBe(shielded);
        expect(s.activeShields).toBe(1);
        await shielded.sleep(1);
        return 'shielded value';
      });
      expect(s.activeShields).toBe(0);
      return inner;
    });
    expect(value).toBe('shielded value');
  });

  it('its body is not cancelled by the scope; afterwards shield() rejects with the outer error', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(100, { clock, name: 'outer' });
    const log: string[] = [];
    let shieldError: unknown;
    const run = track(
      scope.run(async (s) => {
        try {
          await s.sleep(1_000);
        } finally {
          try {
            await s.shield(async (shielded) => {
              log.push(`cleanup starts, cancelled=${shielded.isCancelled}, aborted=${shielded.signal.aborted}`);
              await shielded.sleep(500); // a library await that is NOT cancelled
              log.push('cleanup done');
              return 'ignored';
            });
          } catch (error) {
            shieldError = error;
          }
        }
      }),
    );
    await clock.tick(100);
    expect(log).toEqual(['cleanup starts, cancelled=false, aborted=false']);
    await clock.tick(499);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    const error = await rejection(run.promise);
    expect(log).toEqual(['cleanup starts, cancelled=false, aborted=false', 'cleanup done']);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(shieldError).toBe(error);
    expect(scope.status).toBe('cancelled');
  });

  it('cancellation during a shield: the body completes, then shield() rejects', async () => {
    const scope = new Cancelable();
    let completed = false;
    const error = await rejection(
      scope.run(async (s) => {
        await s.shield(async (shielded) => {
          s.cancel('cancelled meanwhile');
          await shielded.sleep(5);
          completed = true;
        });
      }),
    );
    expect(completed).toBe(true);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('cancelled meanwhile');
  });

  it('started on an already-cancelled scope: still runs to completion, then rejects', async () => {
    const scope = new Cancelable();
    const seen: boolean[] = [];
    const error = await rejection(
      scope.run(async (s) => {
        s.cancel();
        await s.shield((shielded) => {
          seen.push(shielded.isCancelled);
        });
      }),
    );
    expect(seen).toEqual([false]);
    expect(error).toBe(scope.cancelError);
  });

  it("is not cancelled by the scope's ancestors either", async () => {
    const clock = new ManualClock();
    const root = new Cancelable({ clock, name: 'root' });
    let innerCancelled: boolean | undefined;
    const run = rejection(
      root.run(() =>
        new Cancelable({ clock, name: 'child' }).run((child) =>
          child.shield(async (shielded) => {
            root.cancel('root stop');
            await shielded.sleep(10);
            innerCancelled = shielded.isCancelled;
          }),
        ),
      ),
    );
    await clock.tick(10);
    const error = await run;
    expect(innerCancelled).toBe(false);
    expect(error).toBeDefined();
    expect(root.status).toBe('cancelled');
  });

  it('scopes started inside a shield are children of the shield, not of the cancelled scope', async () => {
    const scope = new Cancelable({ name: 'outer' });
    let grandchildCancelled: boolean | undefined;
    await rejection(
      scope.run((s) =>
        s.shield(async () => {
          s.cancel();
          await new Cancelable({ name: 'in-shield' }).run(async (c) => {
            await c.sleep(1);
            grandchildCancelled = c.isCancelled;
            expect(c.parent?.name).toBe('outer:shield');
          });
        }),
      ),
    );
    expect(grandchildCancelled).toBe(false);
  });

  it('with a timeout: its own timeout still applies', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const run = track(
      scope.run((s) => s.shield((shielded) => shielded.sleep(10_000), { timeout: 200, name: 'bounded' })),
    );
    await clock.tick(199);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    const error = (await rejection(run.promise)) as TimeoutCancelation;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error.timeoutMs).toBe(200);
    expect(scope.status).toBe('cancelled'); // the shield's timeout error came out of the body
    expect(clock.pending).toBe(0);
  });

  it('with a timeout, while the outer scope is cancelled: bounded cleanup', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(50, { clock, graceMs: 0 });
    const run = track(
      scope.run(async (s) => {
        try {
          await s.sleep(1_000);
        } finally {
          await s.shield((shielded) => shielded.race(new Promise(() => {})), { timeout: 100 });
        }
      }),
    );
    await clock.tick(50);
    await clock.tick(99);
    expect(run.settled).toBe(false); // graceMs 0, but a shield is in progress
    await clock.tick(1);
    const error = await rejection(run.promise);
    expect(error).toBe(scope.cancelError);
    expect(clock.pending).toBe(0);
  });

  it('nested shields both complete while everything outside is cancelled', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 0 });
    const log: string[] = [];
    const run = track(
      scope.run((s) =>
        s.shield(async (outerShield) => {
          s.cancel('outer');
          await outerShield.shield(async (innerShield) => {
            outerShield.cancel('outer shield cancelled too');
            await innerShield.sleep(20);
            log.push('inner shield done');
          }).catch((error: unknown) => log.push(`inner shield() rejected: ${(error as Error).message}`));
          await outerShield.sleep(0).catch(() => log.push('outer shield now cancelled'));
          log.push('outer shield done');
        }),
      ),
    );
    await clock.tick(20);
    await clock.tick(0);
    await rejection(run.promise);
    expect(log).toEqual([
      'inner shield done',
      'inner shield() rejected: outer shield cancelled too',
      'outer shield now cancelled',
      'outer shield done',
    ]);
  });

  it('run() waits for a shield still running when the body ends (not awaited)', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let shieldPromise: Promise<string> | undefined;
    const order: string[] = [];
    const run = track(
      scope.run((s) => {
        shieldPromise = s.shield(async (shielded) => {
          await shielded.sleep(100);
          order.push('shield done');
          return 'from shield';
        });
        order.push('body returned');
        return 'from body';
      }),
    );
    await clock.tick(99);
    expect(run.settled).toBe(false);
    expect(scope.status).toBe('running');
    await clock.tick(1);
    await expect(run.promise).resolves.toBe('from body');
    await expect(shieldPromise).resolves.toBe('from shield');
    expect(order).toEqual(['body returned', 'shield done']);
    expect(scope.status).toBe('completed');
  });

  it('a body that fails while a shield runs: run() still waits, then fails with the body error', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const boom = new Error('body failed');
    let shieldPromise: Promise<void> | undefined;
    const run = track(
      scope.run(async (s) => {
        shieldPromise = s.shield((shielded) => shielded.sleep(50));
        await Promise.resolve();
        throw boom;
      }),
    );
    await clock.tick(49);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(await rejection(run.promise)).toBe(boom);
    await shieldPromise;
    expect(scope.status).toBe('failed');
  });

  it('the grace period does not cut a shield short; it starts again when the shield ends (SPEC §2)', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 10 });
    const run = track(
      scope.run(async (s) => {
        void s.shield((shielded) => shielded.sleep(100)).catch(() => undefined);
        s.cancel();
        await new Promise(() => {}); // ignores cancellation
      }),
    );
    await clock.tick(10);
    expect(run.settled).toBe(false); // grace over, but a shield is in progress
    await clock.tick(90);
    expect(run.settled).toBe(false); // the shield ended at 100: a new grace period of 10 ms starts
    await clock.tick(9);
    expect(run.settled).toBe(false);
    await clock.tick(1);
    expect(run.settled).toBe(true);
    expect(await rejection(run.promise)).toBe(scope.cancelError);
  });

  it("run() settles after the body's own code that follows the shield, not when the shield ends (issue 16 #6)", async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 10 });
    const steps: string[] = [];
    const run = track(
      scope.run(async (s) => {
        s.cancel();
        await s.shield((shielded) => shielded.sleep(100)).catch(() => steps.push('shield rejected'));
        steps.push('after the shield');
        await Promise.resolve(); // the body's own awaits, after the shield
        await Promise.resolve();
        steps.push('body done');
        return 'value';
      }),
    );
    await clock.tick(99);
    expect(run.settled).toBe(false); // 99 ms in a shield: far past the grace, which does not count it
    await clock.tick(1);
    await flush();
    expect(steps).toEqual(['shield rejected', 'after the shield', 'body done']);
    expect(run.settled).toBe(true);
    expect(await run.promise).toBe('value'); // the body's outcome, not an abandonment
  });

  it('after the last shield the body gets a whole new grace period, then is abandoned (issue 16 #6)', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 10 });
    let bodyDone = false;
    const run = track(
      scope.run(async (s) => {
        s.cancel();
        await s.shield((shielded) => shielded.sleep(50)).catch(() => undefined);
        await s.shield((shielded) => shielded.sleep(50)).catch(() => undefined); // a second shield
        await new Promise((resolve) => clock.setTimeout(resolve, 30, undefined)); // ignores cancellation
        bodyDone = true;
      }),
    );
    await clock.tick(100); // both shields: 100 ms that do not count
    expect(run.settled).toBe(false);
    await clock.tick(9);
    expect(run.settled).toBe(false); // 9 ms of the new 10 ms grace
    await clock.tick(1);
    expect(run.settled).toBe(true);
    expect(bodyDone).toBe(false);
    expect(await rejection(run.promise)).toBe(scope.cancelError);
    await clock.tick(30); // let the abandoned body finish
  });

  it('works in a scope started with enter()', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let shieldError: unknown;
    {
      await using entered = scope.enter();
      const pending = rejection(
        entered.shield(async (shielded) => {
          await shielded.sleep(10);
          return 1;
        }),
      );
      entered.cancel();
      await clock.tick(10);
      shieldError = await pending;
    }
    expect(shieldError).toBe(scope.cancelError);
    expect(scope.status).toBe('cancelled');
  });

  it('on a scope that is not running: a TypeError naming the scope and its status', async () => {
    const pending = new Cancelable({ name: 'not-yet' });
    expect(() => pending.shield(() => 1)).toThrow(TypeError);
    expect(() => pending.shield(() => 1)).toThrow("shield() needs a running scope; 'not-yet' is pending");
    const ended = new Cancelable({ name: 'over' });
    await ended.run(() => undefined);
    expect(() => ended.shield(() => 1)).toThrow("shield() needs a running scope; 'over' is completed");
    await flush();
  });
});

// Mutation testing (docs/reliability.md): the end of the last shield restarts only a grace period
// that expired during it.
describe('the end of a shield without a cancellation', () => {
  it('arms no grace period: the body runs on past graceMs and completes', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, graceMs: 10 });
    const run = track(
      scope.run(async (s) => {
        await s.shield(() => 'cleaned up');
        await s.sleep(100);
        return 'done';
      }),
    );
    await flush();
    expect(clock.delays).toEqual([100]); // the sleep only
    await clock.tick(100);
    await expect(run.promise).resolves.toBe('done');
    expect(scope.status).toBe('completed');
  });
});

// Mutation testing (docs/reliability.md): what the shield's scope inherits, where shield() may be
// called, and its option errors.
describe('the shield scope', () => {
  it('carries shieldOf and the outer logger; no logger when the outer has none', async () => {
    const logger = { warn: () => undefined, debug: () => undefined };
    const seen = await new Cancelable({ logger, name: 'outer' }).run((s) =>
      s.shield((inner) => ({ shieldOf: inner.metadata.shieldOf, logger: inner.logger, name: inner.name, outer: s.id })),
    );
    expect(seen).toEqual({ shieldOf: seen.outer, logger, name: 'outer:shield', outer: seen.outer });
    const bare = await new Cancelable().run((s) => s.shield((inner) => inner.logger));
    expect(bare).toBeUndefined();
  });

  it('may be called from an async onStart callback (the scope is starting)', async () => {
    let shielded: Promise<string> | undefined;
    const scope = new Cancelable();
    scope.onStart(async () => {
      shielded = scope.shield(() => 'from onStart');
      await shielded;
    });
    await scope.run(() => undefined);
    await expect(shielded).resolves.toBe('from onStart');
  });

  it('names its options in its errors', async () => {
    await new Cancelable().run((s) => {
      expect(() => s.shield(() => 1, { bogus: 1 } as never)).toThrow(/^options has an unknown key "bogus"/);
      expect(() => s.shield(() => 1, { name: 42 as never })).toThrow(/^options\.name must be a string/);
    });
  });
});
