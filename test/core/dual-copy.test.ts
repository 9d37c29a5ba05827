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
import type { Hold } from '../../src/core/index.js';
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

// Mutation testing (docs/reliability.md, survivors of begin.ts): a parent from another copy is linked
// through the hold protocol only (linkForeignParent). Each edge of it, with the real second copy, and
// with a parent of another version of the library that offers the protocol (or not) and nothing else.
describe('our child under a parent of another copy: the hold protocol', () => {
  it("their cancel() reaches our running child at once, through the hold's cancelled hook", async () => {
    const outer = new other.Cancelable({ name: 'other-parent' });
    let child: ours.Cancelable | undefined;
    let childRun: Promise<unknown> | undefined;
    await rejection(
      outer.run(async (o) => {
        child = new Cancelable({ name: 'ours' });
        childRun = rejection(child.run((c) => c.sleep(60_000)));
        o.cancel('stop now');
        // Synchronously: not when their grace period ends and their ledger stops our child.
        expect(child.isCancelled).toBe(true);
        expect(child.cancelError).toBeInstanceOf(ParentCancelation);
        expect(child.cancelError?.message).toBe("Parent 'other-parent' was cancelled: stop now");
        await childRun;
        o.throwIfCancelled();
      }),
    );
    expect(await childRun).toBe(child?.cancelError);
    expect(child?.cancelError?.cause).toBe(outer.cancelError);
  });

  it('our child started under their cancelled parent, still running, starts cancelled', async () => {
    const outer = new other.Cancelable({ name: 'other-parent', graceMs: 60_000 });
    let childError: unknown;
    let cancelledAtStart: boolean | undefined;
    await rejection(
      outer.run(async (o) => {
        o.cancel('already cancelled');
        const child = new Cancelable({ name: 'late-child' });
        const run = rejection(child.run((c) => c.sleep(60_000)));
        cancelledAtStart = child.isCancelled;
        childError = await run;
        o.throwIfCancelled();
      }),
    );
    expect(cancelledAtStart).toBe(true);
    expect(childError).toBeInstanceOf(ParentCancelation);
    expect((childError as Error).cause).toBe(outer.cancelError);
  });

  it('our child given their ended parent starts cancelled: "already ended", or their cancellation', async () => {
    const completed = new other.Cancelable({ name: 'done-parent' });
    await completed.run(() => undefined);
    const cancelled = new other.Cancelable({ name: 'cancelled-parent' });
    cancelled.cancel('was cancelled');
    await rejection(cancelled.run((s) => s.sleep(1)));
    const results: [boolean, unknown][] = [];
    for (const parent of [completed, cancelled]) {
      const child = new Cancelable({ name: 'orphan', parent });
      const run = rejection(child.run((c) => c.sleep(60_000)));
      results.push([child.isCancelled, await run]);
    }
    const [[firstAtStart, first], [secondAtStart, second]] = results as [[boolean, Error], [boolean, Error]];
    expect(firstAtStart).toBe(true);
    expect(first).toBeInstanceOf(ParentCancelation);
    expect(first.message).toBe('Parent operation has already ended');
    expect(first.cause).toBeUndefined();
    expect(secondAtStart).toBe(true);
    expect(second).toBeInstanceOf(ParentCancelation);
    expect(second.message).toBe("Parent 'cancelled-parent' was cancelled: was cancelled");
    expect(second.cause).toBe(cancelled.cancelError);
  });

  /**
   * A scope of another version of the library as the kernel may see it: the public getters and the
   * versioned hold protocol, none of this copy's internal fields.
   */
  class OtherVersionScope {
    readonly holds = new Set<Hold>();
    readonly id = 'other-version-id';
    readonly name = 'other-version';
    isCancelled = false;
    cancelError: ours.CancelationError | undefined = undefined;
    readonly isRunning = true;
    run(): never {
      throw new Error('not called');
    }
    [Symbol.for('cancelable.scope.hold.v1')](entry: Hold): () => void {
      this.holds.add(entry);
      return () => void this.holds.delete(entry);
    }
    cancel(error: ours.CancelationError): void {
      this.isCancelled = true;
      this.cancelError = error;
      for (const entry of this.holds) entry.cancelled?.(error);
    }
  }

  it('a parent of another version is held through the protocol alone, and released when our child ends', async () => {
    const parent = new OtherVersionScope();
    const child = new Cancelable({ name: 'ours', parent: parent as unknown as ours.Cancelable });
    const run = rejection(child.run((c) => c.sleep(60_000)));
    expect(parent.holds.size).toBe(1);
    expect(child.parent).toBe(parent);
    const error = new ours.ManualCancelation('other version cancelled');
    parent.cancel(error);
    expect(child.isCancelled).toBe(true);
    const childError = await run;
    expect(childError).toBeInstanceOf(ParentCancelation);
    expect((childError as Error).cause).toBe(error);
    expect(parent.holds.size).toBe(0);
  });

  it('a parent of another version without the hold protocol cannot be held: our child starts cancelled', async () => {
    const parent = new OtherVersionScope() as Partial<OtherVersionScope>;
    Object.defineProperty(parent, Symbol.for('cancelable.scope.hold.v1'), { value: undefined });
    const child = new Cancelable({ name: 'ours', parent: parent as unknown as ours.Cancelable });
    const error = await rejection(child.run((c) => c.sleep(60_000)));
    expect(error).toBeInstanceOf(ParentCancelation);
    expect((error as Error).message).toBe('Parent operation has already ended');
    expect(child.status).toBe('cancelled');
  });
});
