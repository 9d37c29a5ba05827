/**
 * Two copies of the library in one process (the ESM and CommonJS builds, or two installed versions)
 * share one async context (src/core/runtime.ts). Scopes of one copy must work under scopes of the
 * other: no crash on private fields, and cancellation flows from parent to child.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, ParentCancelation } from '../../src/index.js';
import type * as ScopeModule from '../../src/core/scope.js';
import { rejection } from './helpers.js';

// A second instance of the scope module (vite keys module instances by URL, query included).
const specifier = '../../src/core/scope.js?second-copy';
const other = (await import(/* @vite-ignore */ specifier)) as typeof ScopeModule;

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
    expect((childError as ParentCancelation).parentReason).toBe('timeout');
    expect((childError as ParentCancelation).cause).toBe(outer.cancelError);
  });

  it('our scope as the parent of its scopes, and entered scopes across copies', async () => {
    const ours = new Cancelable({ name: 'ours' });
    let theirs: InstanceType<typeof other.Cancelable> | undefined;
    await rejection(
      ours.run(async (o) => {
        theirs = new other.Cancelable({ name: 'theirs' });
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
});
