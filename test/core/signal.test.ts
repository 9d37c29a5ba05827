/**
 * SPEC §1.3 interop: `scope.signal` is created lazily and aborted with the scope's cancellation error.
 */
import { setTimeout as nodeDelay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cancelable, CancelationToken } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { rejection } from './helpers.js';

let created = 0;
beforeEach(() => {
  created = 0;
  const Native = globalThis.AbortController;
  vi.stubGlobal(
    'AbortController',
    class CountingAbortController extends Native {
      constructor() {
        super();
        created++;
      }
    },
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('scope.signal', () => {
  it('is not created unless read: a run, completed or cancelled, makes no AbortController', async () => {
    await new Cancelable().run(() => 'fine');
    await rejection(
      new Cancelable().run(async (s) => {
        s.cancel();
        await s.sleep(1);
      }),
    );
    await rejection(Cancelable.withTimeout(0).run((s) => s.sleep(1)));
    expect(created).toBe(0);
  });

  it('is created once, on first read', async () => {
    await new Cancelable().run((s) => {
      const signal = s.signal;
      expect(s.signal).toBe(signal);
      expect(signal.aborted).toBe(false);
    });
    expect(created).toBe(1);
  });

  it('is aborted with the same error object run() rejects with', async () => {
    const scope = new Cancelable();
    let signal: AbortSignal | undefined;
    const reasons: unknown[] = [];
    const error = await rejection(
      scope.run(async (s) => {
        signal = s.signal;
        signal.addEventListener('abort', () => reasons.push(signal?.reason));
        s.cancel('go');
        await s.sleep(1);
      }),
    );
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(reasons).toEqual([error]);
    expect(scope.signal).toBe(signal);
  });

  it('read after the cancellation: already aborted with the same error, no controller needed', async () => {
    const scope = new Cancelable();
    scope.cancel('early');
    const error = await rejection(
      scope.run((s) => {
        expect(s.signal.aborted).toBe(true);
        expect(s.signal.reason).toBe(s.cancelError);
        return s.sleep(1);
      }),
    );
    expect(scope.signal.reason).toBe(error);
    expect(created).toBe(0);
  });

  it('read after a normal end: a signal that never aborts', async () => {
    const scope = new Cancelable();
    await scope.run(() => undefined);
    expect(scope.signal.aborted).toBe(false);
  });

  it('rejects Node APIs promptly (timers/promises) with an AbortError whose cause is the reason', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(20, { clock });
    let caught: unknown;
    const failed = rejection(
      scope.run(async (s) => {
        try {
          await nodeDelay(60_000, undefined, { signal: s.signal });
        } catch (e) {
          caught = e;
          throw e;
        }
      }),
    );
    await clock.advance(19);
    expect(caught).toBeUndefined();
    await clock.advance(1); // the timeout fires; the real 60 s Node timer is aborted at once
    const error = await failed;
    expect((caught as Error).name).toBe('AbortError');
    expect((caught as Error).cause).toBe(error);
  });

  it('a child signal is aborted with the ParentCancelation when the parent is cancelled', async () => {
    const parent = new Cancelable();
    let childSignal: AbortSignal | undefined;
    let childScope: Cancelable | undefined;
    await rejection(
      parent.run(async (p) => {
        childScope = new Cancelable();
        const childRun = rejection(
          childScope.run(async (c) => {
            childSignal = c.signal;
            await c.sleep(60_000);
          }),
        );
        p.cancel();
        await childRun;
        p.throwIfCancelled();
      }),
    );
    expect(childSignal?.reason).toBe(childScope?.cancelError);
  });
});

describe('token.signal', () => {
  it('is lazy too', () => {
    const token = new CancelationToken();
    token.cancelSync();
    expect(created).toBe(0);
    expect(token.signal.aborted).toBe(true);
    expect(created).toBe(1);
  });
});
