/**
 * Cancellation (SPEC §6, PITFALLS 6 and 8): a pending next() rejects at once with the scope's
 * cancellation error even when the source never yields again; the source is closed without waiting;
 * no listener is left behind; the source's late failures never become unhandled rejections.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ManualCancelation,
  ParentCancelation,
  TimeoutCancelation,
  cancelableStream,
  channelNames,
} from '../../src/index.js';
import { countListeners, counting, customIterator, flush, listen, probe, rejection, stalling, track } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('cancelling a pending next()', () => {
  it('rejects at once with the scope cancellation error, though the source never yields again', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(1, p), scope);
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    const pending = track(stream.next());
    await flush();
    expect(pending.settled).toBe(false);
    scope.cancel('stop');
    const error = await rejection(pending.promise);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect(error).toBe(scope.cancelError);
    expect((error as Error).message).toBe('stop');
  });

  it('settles within the same microtask turn as the cancel (no timer, no polling)', async () => {
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(0, probe()), scope);
    const pending = stream.next();
    let settled = false;
    pending.then(undefined, () => (settled = true));
    scope.cancel();
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
  });

  it('a timeout cancels a stalled stream: run() rejects with TimeoutCancelation (fake timers)', async () => {
    vi.useFakeTimers();
    const p = probe();
    const seen: number[] = [];
    const scope = Cancelable.withTimeout(1_000);
    const run = track(
      scope.run(async (scope) => {
        for await (const item of cancelableStream(stalling(3, p), scope)) seen.push(item);
      }),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(run.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await rejection(run.promise);
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error).toBe(scope.cancelError);
    expect(seen).toEqual([0, 1, 2]);
    expect(scope.status).toBe('cancelled');
  });

  it('a token cancels the stream with its message', async () => {
    const token = new CancelationToken();
    const scope = Cancelable.withToken(token);
    const run = scope.run(async (scope) => {
      for await (const _ of cancelableStream(stalling(0, probe()), scope)) {
        // never reached
      }
    });
    await flush();
    await token.cancel('User stopped stream');
    const error = await rejection(run);
    expect(error).toBeInstanceOf(ManualCancelation);
    expect((error as Error).message).toBe('User stopped stream');
  });

  it("a parent's cancellation reaches a stream bound to a child", async () => {
    const parent = new Cancelable();
    const outcome = parent.run(async () => {
      await new Cancelable().run(async (child) => {
        for await (const _ of child.stream(stalling(0, probe()))) {
          // never reached
        }
      });
    });
    await flush();
    parent.cancel('parent stop');
    const error = await rejection(outcome);
    expect(error).toBe(parent.cancelError);
  });

  it('rejects again on every later next() (a cancelled stream never looks complete)', async () => {
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(0, probe()), scope);
    const first = stream.next();
    scope.cancel();
    await expect(first).rejects.toBe(scope.cancelError);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    expect(await stream.return()).toEqual({ done: true, value: undefined });
  });

  it('rejects every queued next() too', async () => {
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(0, probe()), scope);
    const calls = [stream.next(), stream.next(), stream.next()];
    scope.cancel();
    for (const call of calls) await expect(call).rejects.toBe(scope.cancelError);
  });

  it('closes the source: return() is called without waiting for the pending next()', async () => {
    const p = probe();
    const scope = new Cancelable();
    const source = customIterator(Infinity, p, undefined, 1);
    const stream = cancelableStream(source, scope);
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    const pending = stream.next(); // the source stalls here forever
    scope.cancel();
    expect(p.returned).toBe(1);
    await expect(pending).rejects.toBe(scope.cancelError);
  });

  it("a native generator's return() queued behind its stalled next() never blocks the consumer", async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(stalling(0, p), scope);
    const pending = stream.next();
    scope.cancel();
    await expect(pending).rejects.toBe(scope.cancelError);
    // The generator is stuck in its await: its finally cannot run, and nobody waits for it.
    expect(p.finallyRan).toBe(false);
  });

  it("handles (and reports) the source's return() rejection: no unhandled rejection", async () => {
    const channel = listen<{ phase: string; error: unknown }>(channelNames.sourceError);
    try {
      const failure = new Error('cleanup failed');
      const scope = new Cancelable();
      const stream = cancelableStream(
        customIterator(Infinity, probe(), () => Promise.reject(failure), 0),
        scope,
      );
      const pending = stream.next();
      scope.cancel();
      await expect(pending).rejects.toBe(scope.cancelError);
      await flush();
      expect(channel.messages.map((m) => [m.phase, m.error])).toEqual([['return', failure]]);
    } finally {
      channel.stop();
    }
  });

  it("a return() that throws synchronously on cancellation is reported; the consumer still gets the error", async () => {
    const channel = listen<{ phase: string; error: unknown }>(channelNames.sourceError);
    try {
      const failure = new Error('sync cleanup failure');
      const scope = new Cancelable();
      const source: AsyncIterable<number> = {
        [Symbol.asyncIterator]: () => ({
          next: () => new Promise<IteratorResult<number>>(() => {}),
          return: () => {
            throw failure;
          },
        }),
      };
      const stream = cancelableStream(source, scope);
      const pending = stream.next();
      expect(scope.cancel()).toBe(true);
      await expect(pending).rejects.toBe(scope.cancelError);
      expect(await stream.return()).toEqual({ done: true, value: undefined });
      expect(channel.messages.map((m) => [m.phase, m.error])).toEqual([['return', failure]]);
    } finally {
      channel.stop();
    }
  });

  it("a source that fails after the cancellation (e.g. an AbortError) is ignored, not unhandled", async () => {
    const scope = new Cancelable();
    async function* aborting(): AsyncGenerator<number> {
      await new Promise((_, reject) => scope.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      yield 1;
    }
    const stream = cancelableStream(aborting(), scope);
    const pending = stream.next();
    scope.cancel();
    await expect(pending).rejects.toBe(scope.cancelError);
    await flush();
  });

  it('a stream of an already-cancelled scope rejects on the first next() and closes the source', async () => {
    const p = probe();
    const scope = new Cancelable();
    scope.cancel('early');
    const stream = cancelableStream(customIterator(5, p), scope);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
    expect(p.pulls).toBe(0);
    expect(p.returned).toBe(1);
  });

  it('cancellation while the consumer works (no next() pending) closes the source at once', async () => {
    const p = probe();
    const scope = new Cancelable();
    const stream = cancelableStream(counting(10, p), scope);
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    scope.cancel();
    await flush();
    expect(p.finallyRan).toBe(true); // the generator was idle at its yield: return() ran its finally
    expect(p.pulls).toBe(1);
    await expect(stream.next()).rejects.toBe(scope.cancelError);
  });

  it('the cancellation error is the one run() rejects with and signal.reason', async () => {
    const scope = new Cancelable();
    let seen: unknown;
    const run = scope.run(async (scope) => {
      try {
        for await (const _ of scope.stream(stalling(0, probe()))) {
          // never reached
        }
      } catch (error) {
        seen = error;
        throw error;
      }
    });
    await flush();
    scope.cancel();
    const error = await rejection(run);
    expect(seen).toBe(error);
    expect(scope.signal.reason).toBe(error);
  });

  it('a child scope cancelled by its parent gives the stream a ParentCancelation', async () => {
    const parent = new Cancelable();
    let seen: unknown;
    const run = parent.run(async () => {
      const child = new Cancelable();
      await child
        .run(async (child) => {
          for await (const _ of child.stream(stalling(0, probe()))) {
            // never reached
          }
        })
        .catch((error: unknown) => {
          seen = error;
        });
    });
    await flush();
    parent.cancel();
    await run.catch(() => undefined);
    expect(seen).toBeInstanceOf(ParentCancelation);
  });
});

describe('no listener left behind', () => {
  it('one listener per stream, registered at the first pull and removed on every exit', async () => {
    const scope = new Cancelable();
    const active = countListeners(scope);
    await scope.run(async (scope) => {
      // end
      const ended = cancelableStream(counting(3, probe()), scope);
      expect(active()).toBe(0);
      await ended.next();
      expect(active()).toBe(1);
      for await (const _ of ended) {
        // drain
      }
      expect(active()).toBe(0);
      // break
      for await (const _ of cancelableStream(counting(3, probe()), scope)) break;
      expect(active()).toBe(0);
      // throw
      await expect(
        (async () => {
          for await (const _ of cancelableStream(counting(3, probe()), scope)) throw new Error('consumer');
        })(),
      ).rejects.toThrow('consumer');
      expect(active()).toBe(0);
      // source failure
      async function* failing(): AsyncGenerator<number> {
        yield 1;
        throw new Error('source');
      }
      await expect(
        (async () => {
          for await (const _ of cancelableStream(failing(), scope)) {
            // drain
          }
        })(),
      ).rejects.toThrow('source');
      expect(active()).toBe(0);
      // many streams, one after the other
      for (let i = 0; i < 1_000; i++) {
        for await (const _ of cancelableStream([1, 2], scope)) {
          // drain
        }
      }
      expect(active()).toBe(0);
    });
  });

  it('the listener is gone after a cancellation too', async () => {
    const scope = new Cancelable();
    const active = countListeners(scope);
    const stream = cancelableStream(stalling(0, probe()), scope);
    const pending = stream.next();
    expect(active()).toBe(1);
    scope.cancel();
    await expect(pending).rejects.toBe(scope.cancelError);
    expect(active()).toBe(0);
  });

  it('a stream that is never iterated registers nothing', () => {
    const scope = new Cancelable();
    const active = countListeners(scope);
    cancelableStream(counting(3, probe()), scope);
    expect(active()).toBe(0);
  });
});
