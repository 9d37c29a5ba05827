/**
 * SPEC §3, "How a run ends": one describe per row of the table, on an injected manual clock.
 */
import { setTimeout as nodeDelay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  DeadlineSource,
  ManualCancelation,
  ParentCancelation,
  TimeoutCancelation,
  TimeoutSource,
  channelNames,
  type CancelationError,
} from '../../src/index.js';
import { listen, rejection, track } from './helpers.js';
import { flush, ManualClock } from './manual-clock.js';

let clock: ManualClock;
afterEach(() => {
  // Every row must leave nothing armed on the clock once the run has settled.
  expect(clock.pending).toBe(0);
});

function timeoutScope(ms: number, options: { graceMs?: number } = {}): Cancelable {
  clock = new ManualClock();
  return Cancelable.withTimeout(ms, { clock, ...options });
}

describe('row 1: body resolves, no cancellation', () => {
  it('resolves with the value, runs onComplete, ends completed', async () => {
    const scope = timeoutScope(1_000);
    const seen: string[] = [];
    scope.onComplete((ctx) => void seen.push(`complete:${ctx.status}`));
    scope.onCancel(() => void seen.push('cancel'));
    scope.onError(() => void seen.push('error'));
    const result = scope.run(async (s) => {
      await s.sleep(10).then(() => undefined);
      return 42;
    });
    await clock.tick(10);
    await expect(result).resolves.toBe(42);
    expect(scope.status).toBe('completed');
    expect(seen).toEqual(['complete:completed']);
    expect(scope.isCancelled).toBe(false);
    expect(scope.context.cancelReason).toBeNull();
  });

  it('a synchronous body works too (value and throw)', async () => {
    clock = new ManualClock();
    await expect(new Cancelable({ clock }).run(() => 'sync')).resolves.toBe('sync');
    const boom = new Error('sync boom');
    const failing = new Cancelable({ clock });
    await expect(
      failing.run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(failing.status).toBe('failed');
  });

  it('the body receives the scope and runs as Cancelable.current()', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock, name: 'me' });
    await scope.run((s) => {
      expect(s).toBe(scope);
      expect(Cancelable.current()).toBe(scope);
      expect(s.status).toBe('running');
    });
  });
});

describe('row 2: a source fires while the body runs', () => {
  it('aborts the signal, rejects library awaits and run() with the same error; onCancel; cancelled', async () => {
    const scope = timeoutScope(100);
    const seen: string[] = [];
    scope.onCancel((ctx) => void seen.push(`cancel:${ctx.status}:${ctx.cancelReason}`));
    let signal: AbortSignal | undefined;
    let sleepError: unknown;
    let raceError: unknown;
    const result = track(
      scope.run(async (s) => {
        signal = s.signal;
        const never = new Promise<never>(() => {});
        const raced = s.race(never).catch((e: unknown) => (raceError = e));
        try {
          await s.sleep(10_000);
        } catch (error) {
          sleepError = error;
        }
        await raced;
        throw sleepError;
      }),
    );
    await clock.tick(99);
    expect(result.settled).toBe(false);
    expect(signal?.aborted).toBe(false);
    await clock.tick(1);
    const error = await rejection(result.promise);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(sleepError).toBe(error);
    expect(raceError).toBe(error);
    expect(scope.cancelError).toBe(error);
    expect(scope.status).toBe('cancelled');
    expect(seen).toEqual(['cancel:cancelled:timeout']);
  });

  it('rejects library awaits promptly: in the same turn as the cancellation', async () => {
    const scope = timeoutScope(50);
    const order: string[] = [];
    const result = rejection(
      scope.run(async (s) => {
        await s.sleep(1_000).catch((error: unknown) => {
          order.push('sleep rejected');
          throw error;
        });
      }),
    );
    clock.advance(50);
    order.push('timer fired');
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['timer fired', 'sleep rejected']);
    expect(await result).toBeInstanceOf(TimeoutCancelation);
  });
});

describe('row 3: body rejects after cancellation', () => {
  it('rejects with the cancellation error, the body error as cause when different', async () => {
    const scope = timeoutScope(10);
    const cleanup = new Error('cleanup failed');
    const result = rejection(
      scope.run(async (s) => {
        try {
          await s.sleep(1_000);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw cleanup;
        }
      }),
    );
    await clock.tick(10);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).cause).toBe(cleanup);
    expect(scope.status).toBe('cancelled');
  });

  it('a fetch-like rejection with the reason itself: the same error, no cause added', async () => {
    const scope = timeoutScope(10);
    const result = rejection(
      scope.run(
        (s) =>
          new Promise((_, reject) => {
            s.signal.addEventListener('abort', () => reject(s.signal.reason), { once: true });
          }),
      ),
    );
    await clock.tick(10);
    const error = await result;
    expect(error).toBe(scope.cancelError);
    expect((error as Error).cause).toBeUndefined();
  });

  it("Node's AbortError wrapping the reason (timers/promises): the scope's error, no cycle", async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    let bodyError: unknown;
    const result = scope.run(async (s) => {
      const pending = nodeDelay(60_000, undefined, { signal: s.signal });
      s.cancel('stop');
      try {
        await pending;
      } catch (error) {
        bodyError = error;
        throw error;
      }
    });
    const error = await rejection(result);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((bodyError as Error).name).toBe('AbortError');
    expect((bodyError as Error).cause).toBe(error);
    // Not set as the cause: it would make a cycle.
    expect((error as Error).cause).toBeUndefined();
  });

  it('a body error that is a different cancellation error becomes the cause', async () => {
    const scope = timeoutScope(10);
    const other = new ManualCancelation('elsewhere');
    const result = rejection(
      scope.run(async (s) => {
        await s.sleep(1_000).catch(() => undefined);
        throw other;
      }),
    );
    await clock.tick(10);
    const error = await result;
    expect(error).toBe(scope.cancelError);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).cause).toBe(other);
  });
});

describe('row 4: body ignores cancellation', () => {
  it('rejects graceMs after the cancellation; the late outcome is dropped and reported', async () => {
    const abandoned = listen<{ scope: Cancelable; outcome: string; value: unknown }>(channelNames.abandoned);
    try {
      const scope = timeoutScope(10, { graceMs: 50 });
      let finishBody!: (value: string) => void;
      const result = track(scope.run(() => new Promise<string>((resolve) => (finishBody = resolve))));
      await clock.tick(10); // cancelled
      await clock.tick(49);
      expect(result.settled).toBe(false);
      await clock.tick(1);
      expect(result.settled).toBe(true);
      const error = await rejection(result.promise);
      expect(error).toBe(scope.cancelError);
      expect(scope.status).toBe('cancelled');
      finishBody('too late');
      await flush();
      // Once when the run stops waiting, once when the body finally settles.
      expect(abandoned.messages).toEqual([
        { scope, outcome: 'pending', value: undefined, graceMs: 50 },
        { scope, outcome: 'fulfilled', value: 'too late', graceMs: 50 },
      ]);
      expect(scope.status).toBe('cancelled');
    } finally {
      abandoned.stop();
    }
  });

  it('a late rejection of an abandoned body is never unhandled', async () => {
    const scope = timeoutScope(10, { graceMs: 0 });
    let failBody!: (error: Error) => void;
    const result = rejection(scope.run(() => new Promise<void>((_, reject) => (failBody = reject))));
    await clock.tick(10);
    expect(await result).toBeInstanceOf(TimeoutCancelation);
    failBody(new Error('late failure'));
    await flush();
    expect(scope.status).toBe('cancelled');
  });

  it('graceMs: Infinity waits for the body however long it takes', async () => {
    const scope = timeoutScope(10, { graceMs: Infinity });
    let finishBody!: () => void;
    const result = track(scope.run(() => new Promise<void>((resolve) => (finishBody = resolve))));
    await clock.tick(10);
    await clock.tick(1_000_000);
    expect(result.settled).toBe(false);
    expect(clock.pending).toBe(0); // no grace timer armed at all
    finishBody();
    await expect(result.promise).resolves.toBeUndefined();
    expect(scope.status).toBe('completed');
    expect(scope.context.cancelReason).toBe('timeout');
  });
});

describe('row 5: body resolves after cancellation, within the grace', () => {
  it('resolves with the value, the request stays recorded', async () => {
    const scope = timeoutScope(10, { graceMs: 100 });
    const seen: string[] = [];
    scope.onComplete(() => void seen.push('complete')).onCancel(() => void seen.push('cancel'));
    let finishBody!: (value: string) => void;
    const result = scope.run(() => new Promise<string>((resolve) => (finishBody = resolve)));
    await clock.tick(10);
    await clock.tick(60);
    finishBody('made it');
    await expect(result).resolves.toBe('made it');
    expect(scope.status).toBe('completed');
    expect(scope.isCancelled).toBe(true);
    expect(scope.context.cancelReason).toBe('timeout');
    expect(scope.context.cancelMessage).toBe('Operation timed out after 10ms');
    expect(seen).toEqual(['complete']);
  });
});

describe('row 6: body throws a CancelationError it got elsewhere', () => {
  it('rejects with it; cancelled with its reason', async () => {
    clock = new ManualClock();
    const foreign = new TimeoutCancelation('upstream timed out', { timeoutMs: 5 });
    const scope = new Cancelable({ clock });
    const seen: string[] = [];
    scope.onCancel((ctx) => void seen.push(`${ctx.status}:${ctx.cancelReason}:${ctx.cancelMessage}`));
    scope.onError(() => void seen.push('error'));
    const error = await rejection(
      scope.run(async () => {
        await Promise.resolve();
        throw foreign;
      }),
    );
    expect(error).toBe(foreign);
    expect(scope.status).toBe('cancelled');
    expect(scope.context.cancelReason).toBe('timeout');
    expect(scope.cancelError).toBe(foreign);
    expect(seen).toEqual(['cancelled:timeout:upstream timed out']);
  });

  it('e.g. a child scope rethrowing its own cancellation to the parent', async () => {
    clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    const result = rejection(
      parent.run(() => Cancelable.withTimeout(5, { clock, name: 'child' }).run((c) => c.sleep(100))),
    );
    await clock.tick(5);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(parent.status).toBe('cancelled');
    expect(parent.context.cancelReason).toBe('timeout');
  });
});

describe('row 7: body rejects with another error', () => {
  it('rejects with that error unchanged; onError(ctx, error); failed', async () => {
    clock = new ManualClock();
    const boom = new RangeError('boom');
    const scope = new Cancelable({ clock });
    const seen: unknown[] = [];
    scope.onError((ctx, error) => void seen.push(ctx.status, ctx.error, error));
    scope.onComplete(() => void seen.push('complete')).onCancel(() => void seen.push('cancel'));
    const error = await rejection(
      scope.run(async () => {
        await Promise.resolve();
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    expect(boom.cause).toBeUndefined();
    expect(scope.status).toBe('failed');
    expect(seen).toEqual(['failed', 'boom', boom]);
    expect(scope.context.error).toBe('boom');
  });

  it('a native AbortError while the scope was NOT cancelled is a failure (only our errors count)', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const abort = new DOMException('aborted elsewhere', 'AbortError');
    await expect(scope.run(() => Promise.reject(abort))).rejects.toBe(abort);
    expect(scope.status).toBe('failed');
    expect(scope.isCancelled).toBe(false);
  });

  it('non-Error rejections are kept as they are', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    await expect(scope.run(() => Promise.reject('just a string'))).rejects.toBe('just a string');
    expect(scope.context.error).toBe('just a string');
  });
});

describe('row 8: already cancelled at start', () => {
  async function startsCancelled(scope: Cancelable, expected: new (...args: never[]) => CancelationError) {
    let bodyRan = false;
    let abortedAtStart: boolean | undefined;
    let firstAwait: unknown;
    const result = scope.run(async (s) => {
      bodyRan = true;
      abortedAtStart = s.signal.aborted;
      try {
        await s.sleep(1);
      } catch (error) {
        firstAwait = error;
        throw error;
      }
    });
    const error = await rejection(result);
    expect(bodyRan).toBe(true);
    expect(abortedAtStart).toBe(true);
    expect(firstAwait).toBe(error);
    expect(error).toBeInstanceOf(expected);
    expect(scope.status).toBe('cancelled');
    return error as CancelationError;
  }

  it("the scope's token already cancelled", async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    await scope.token.cancel('cancelled before start');
    const error = await startsCancelled(scope, ManualCancelation);
    expect(error.message).toBe('cancelled before start');
  });

  it('a token it listens to already cancelled', async () => {
    clock = new ManualClock();
    const token = new CancelationToken();
    token.cancelSync({ reason: 'timeout', message: 'token said timeout' });
    const error = await startsCancelled(Cancelable.withToken(token, { clock }), TimeoutCancelation);
    expect(error.message).toBe('token said timeout');
  });

  it('a deadline already past (and a zero timeout)', async () => {
    clock = new ManualClock();
    const past = new Cancelable({ clock, sources: [new DeadlineSource(clock.now() - 1_000)] });
    const error = await startsCancelled(past, TimeoutCancelation);
    expect((error as TimeoutCancelation).timeoutMs).toBe(0);
    await startsCancelled(new Cancelable({ clock, sources: [new TimeoutSource(0)] }), TimeoutCancelation);
  });

  it('a parent already cancelled: the child gets a ParentCancelation', async () => {
    clock = new ManualClock();
    const parent = new Cancelable({ clock, name: 'parent' });
    let childError: CancelationError | undefined;
    const result = parent.run(async (p) => {
      p.cancel('parent stop');
      childError = await startsCancelled(new Cancelable({ clock, name: 'child' }), ParentCancelation);
      p.throwIfCancelled();
    });
    await expect(result).rejects.toBe(parent.cancelError);
    expect(childError).toBeInstanceOf(ParentCancelation);
    expect((childError as ParentCancelation).parentReason).toBe('manual');
    expect(childError?.cause).toBe(parent.cancelError);
  });

  it('cancel() before start: the scope starts cancelled', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    expect(scope.cancel('early')).toBe(true);
    expect(scope.cancel('again')).toBe(false);
    expect(scope.status).toBe('pending');
    expect(scope.isCancelled).toBe(true);
    const error = await startsCancelled(scope, ManualCancelation);
    expect(error.message).toBe('early');
    expect(error.operationId).toBe(scope.id);
  });
});

describe('cancel() is synchronous and says whether it cancelled', () => {
  it('returns true once, false afterwards and after the end', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const result = scope.run(async (s) => {
      expect(s.cancel('first')).toBe(true);
      // Synchronous: the state is visible at once.
      expect(s.isCancelled).toBe(true);
      expect(() => s.throwIfCancelled()).toThrow('first');
      expect(s.cancel({ reason: 'timeout', message: 'second' })).toBe(false);
      await s.sleep(1);
    });
    const error = await rejection(result);
    expect((error as Error).message).toBe('first');
    expect(scope.cancel('after end')).toBe(false);
    const done = new Cancelable({ clock });
    await done.run(() => undefined);
    expect(done.cancel()).toBe(false);
    expect(done.isCancelled).toBe(false);
  });

  it('takes a reason: the error is of that reason', async () => {
    clock = new ManualClock();
    const scope = new Cancelable({ clock });
    const error = await rejection(
      scope.run(async (s) => {
        s.cancel({ reason: 'timeout', message: 'budget exhausted' });
        await s.sleep(1);
      }),
    );
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect((error as Error).message).toBe('budget exhausted');
  });
});

// Mutation testing (docs/reliability.md): bodies that return something other than a native promise
// are watched through closures, not through the async context.
describe('bodies returning a foreign thenable or a Promise subclass', () => {
  /** A thenable whose callbacks are called later, by the test, outside the scope's async context. */
  function deferredThenable<T>(): { thenable: PromiseLike<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
    const callbacks: [(value: T) => void, (error: unknown) => void][] = [];
    const thenable = {
      then(onValue: (value: T) => void, onError: (error: unknown) => void) {
        callbacks.push([onValue, onError]);
        return undefined as never;
      },
    } as unknown as PromiseLike<T>;
    return {
      thenable,
      resolve: (value) => callbacks.forEach(([onValue]) => onValue(value)),
      reject: (error) => callbacks.forEach(([, onError]) => onError(error)),
    };
  }

  it('a foreign thenable settled outside the scope: its value, or its error (the run fails)', async () => {
    clock = new ManualClock();
    const ok = deferredThenable<number>();
    const resolved = new Cancelable({ clock }).run(() => ok.thenable);
    await flush(1);
    ok.resolve(7);
    await expect(resolved).resolves.toBe(7);
    const bad = deferredThenable<number>();
    const scope = new Cancelable({ clock });
    const failed = rejection(scope.run(() => bad.thenable));
    await flush(1);
    const error = new Error('thenable failed');
    bad.reject(error);
    expect(await failed).toBe(error);
    expect(scope.status).toBe('failed');
  });

  it('a foreign thenable whose then() throws: the run fails with that error', async () => {
    clock = new ManualClock();
    const error = new Error('then() threw');
    const thenable = {
      then(): never {
        throw error;
      },
    };
    const scope = new Cancelable({ clock });
    expect(await rejection(scope.run(() => thenable as unknown as PromiseLike<number>))).toBe(error);
    expect(scope.status).toBe('failed');
  });

  it('a Promise subclass whose then() calls back outside the scope: watched like a foreign thenable', async () => {
    clock = new ManualClock();
    const later: (() => void)[] = [];
    class Deferred<T> extends Promise<T> {
      override then<A = T, B = never>(
        onValue?: ((value: T) => A | PromiseLike<A>) | null,
        onError?: ((error: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        return super.then(
          (value) => void later.push(() => void onValue?.(value)) as never,
          (error: unknown) => void later.push(() => void onError?.(error)) as never,
        );
      }
    }
    const run = new Cancelable({ clock }).run(() => new Deferred<string>((resolve) => resolve('sub')));
    await flush(1);
    expect(later).toHaveLength(1);
    later.splice(0).forEach((call) => call()); // outside the scope's async context
    await expect(run).resolves.toBe('sub');
  });

  it('a foreign thenable settling after the run abandoned it: reported, the outcome stays cancelled', async () => {
    clock = new ManualClock();
    const abandoned = listen<{ outcome: string }>(channelNames.abandoned);
    try {
      const body = deferredThenable<number>();
      const scope = new Cancelable({ clock, graceMs: 10 });
      const run = rejection(scope.run(() => body.thenable));
      scope.cancel();
      await clock.tick(10);
      expect(await run).toBe(scope.cancelError);
      body.reject(new Error('too late'));
      expect(scope.status).toBe('cancelled');
      expect(abandoned.messages.map((m) => m.outcome)).toEqual(['pending', 'rejected']);
    } finally {
      abandoned.stop();
    }
  });
});
