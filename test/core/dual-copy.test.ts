/**
 * Two copies of the library in one process (the ESM and CommonJS builds, loaded together by different
 * dependents) share one async context, one scope tree and one error identity: scopes of one copy work
 * under scopes of the other, cancellation and a parent's end flow down both ways and are waited for,
 * and `instanceof` holds for every error class across copies.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ours from '../../src/index.js';
import { ensureBuilt } from '../harness/build.js';
import { rejection } from './helpers.js';

const { Cancelable, ParentCancelation } = ours;
let other: typeof ours;

beforeAll(() => {
  ensureBuilt();
  // The CommonJS build: a distinct copy (its own classes and modules) sharing the runtime on globalThis.
  other = createRequire(import.meta.url)(resolve(import.meta.dirname, '../../dist/index.cjs')) as typeof ours;
}, 120_000);

describe('a second copy of the library', () => {
  it('is a distinct class sharing the async context', async () => {
    expect(other.Cancelable).not.toBe(Cancelable);
    const outer = new other.Cancelable({ name: 'other-copy' });
    await outer.run(async () => {
      expect(Cancelable.current()).toBe(outer);
      const inner = new Cancelable({ name: 'ours' });
      await inner.run(() => expect(Cancelable.current()).toBe(inner));
      expect(inner.parent).toBe(outer);
    });
    expect(Cancelable.current()).toBeUndefined();
  });

  it("its parent's cancellation reaches our child, with ParentCancelation; never the other way", async () => {
    const outer = new other.Cancelable({ name: 'other-parent' });
    let childError: unknown;
    await rejection(
      outer.run(async (o) => {
        const isolated = new Cancelable({ name: 'cancels-itself' });
        await rejection(
          isolated.run(async (c) => {
            c.cancel();
            await c.sleep(1);
          }),
        );
        expect(o.isCancelled).toBe(false);
        const child = new Cancelable({ name: 'ours' });
        const run = rejection(child.run((c) => c.sleep(60_000)));
        o.cancel({ reason: 'timeout', message: 'other copy timed out' });
        childError = await run;
        o.throwIfCancelled();
      }),
    );
    expect(childError).toBeInstanceOf(ParentCancelation);
    expect(childError).toBeInstanceOf(other.ParentCancelation);
    expect((childError as ours.ParentCancelation).parentReason).toBe('timeout');
    expect((childError as ours.ParentCancelation).cause).toBe(outer.cancelError);
  });

  it('a parent of one copy that ends cancels a running child of the other, and waits for it', async () => {
    for (const [Parent, Child] of [
      [other.Cancelable, Cancelable],
      [Cancelable, other.Cancelable],
    ] as const) {
      const order: string[] = [];
      let child: ours.Cancelable | undefined;
      let childRun: Promise<unknown> | undefined;
      await new Parent({ name: 'parent' }).run(() => {
        child = new Child({ name: 'child' });
        childRun = child.run(async (c) => {
          try {
            await c.sleep(60_000);
          } finally {
            order.push('child cleanup');
          }
        });
        childRun.catch(() => undefined);
        return 'parent done';
      });
      order.push('parent settled');
      expect(order).toEqual(['child cleanup', 'parent settled']);
      expect(child?.status).toBe('cancelled');
      const error = await rejection(childRun!);
      expect(error).toBeInstanceOf(ours.ParentCancelation);
      expect((error as Error).message).toBe('Parent operation ended');
    }
  });

  it('our scope as the parent of its scopes, and entered scopes across copies', async () => {
    const mine = new Cancelable({ name: 'ours' });
    await rejection(
      mine.run(async (o) => {
        const theirs = new other.Cancelable({ name: 'theirs' });
        const run = rejection(theirs.run((t) => t.sleep(60_000)));
        o.cancel();
        expect(await run).toBeInstanceOf(ParentCancelation);
        o.throwIfCancelled();
      }),
    );
    {
      await using entered = new other.Cancelable({ name: 'entered-other' }).enter();
      expect(Cancelable.current()).toBe(entered);
    }
    expect(Cancelable.current()).toBeUndefined();
  });

  it('instanceof holds across copies for every error class, and only for its own class', () => {
    const classes = [
      'CancelationError',
      'TimeoutCancelation',
      'ManualCancelation',
      'SignalCancelation',
      'ConditionCancelation',
      'ParentCancelation',
      'DisconnectCancelation',
    ] as const;
    const theirs = [
      new other.TimeoutCancelation(),
      new other.ManualCancelation(),
      new other.SignalCancelation(),
      new other.ConditionCancelation(),
      new other.ParentCancelation(),
      new other.DisconnectCancelation(),
    ];
    for (const error of theirs) {
      expect(error).toBeInstanceOf(ours.CancelationError);
      expect(error).toBeInstanceOf(Error);
      for (const name of classes.slice(1)) {
        expect(error instanceof ours[name]).toBe(error.name === name);
        expect(new (ours[name] as new () => Error)() instanceof other[name]).toBe(true);
      }
    }
    // A user's subclass keeps the ordinary check.
    class AppCancel extends ours.ManualCancelation {}
    expect(new AppCancel() instanceof AppCancel).toBe(true);
    expect(new ours.ManualCancelation() instanceof AppCancel).toBe(false);
    expect(new AppCancel() instanceof other.ManualCancelation).toBe(true);
  });
});
