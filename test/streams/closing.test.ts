/**
 * Every exit closes the source (PITFALL 7): on break, throw and end the source's return() is called and
 * awaited, so its finally runs before the loop exits; a return() that throws or hangs never hangs or
 * crashes the consumer.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, cancelableStream, channelNames } from '../../src/index.js';
import { ManualClock } from '../../src/testing/index.js';
import { counting, customIterator, flush, listen, never, probe, rejection, track } from './helpers.js';

/** A generator whose finally awaits (a real async cleanup) and records when it finished. */
function withAsyncCleanup(log: string[]): AsyncGenerator<number> {
  return (async function* () {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      await new Promise((resolve) => setImmediate(resolve));
      log.push('source cleaned up');
    }
  })();
}

describe('closing the source on every exit', () => {
  it('break: return() is awaited, the async finally completes before the loop exits', async () => {
    const log: string[] = [];
    await new Cancelable().run(async (scope) => {
      for await (const item of cancelableStream(withAsyncCleanup(log), scope)) {
        if (item === 2) break;
      }
      log.push('after loop');
    });
    expect(log).toEqual(['source cleaned up', 'after loop']);
  });

  it('consumer throw: the same, and the consumer error propagates unchanged', async () => {
    const log: string[] = [];
    const failure = new Error('consumer failed');
    await expect(
      new Cancelable().run(async (scope) => {
        try {
          for await (const item of cancelableStream(withAsyncCleanup(log), scope)) {
            if (item === 1) throw failure;
          }
        } finally {
          log.push('after loop');
        }
      }),
    ).rejects.toBe(failure);
    expect(log).toEqual(['source cleaned up', 'after loop']);
  });

  it('end: return() is called and awaited when the source ends', async () => {
    const p = probe();
    await new Cancelable().run(async (scope) => {
      for await (const _ of cancelableStream(customIterator(3, p), scope)) {
        // drain
      }
      expect(p.returned).toBe(1);
    });
  });

  it('cancel while the consumer works: return() runs at once; the loop exit waits for the cleanup', async () => {
    const log: string[] = [];
    const scope = new Cancelable();
    const error = await rejection(
      scope.run(async (scope) => {
        try {
          for await (const item of cancelableStream(withAsyncCleanup(log), scope)) {
            if (item === 1) {
              scope.cancel();
              await scope.sleep(10); // rejects: the loop exits by throwing
            }
          }
        } finally {
          log.push('after loop');
        }
      }),
    );
    expect(error).toBe(scope.cancelError);
    expect(log).toEqual(['source cleaned up', 'after loop']);
  });

  it('return() is called once, however many times the consumer closes', async () => {
    const p = probe();
    const stream = cancelableStream(customIterator(10, p), new Cancelable());
    await stream.next();
    await Promise.all([stream.return(), stream.return()]);
    await stream.return();
    expect(p.returned).toBe(1);
  });
});

describe('a misbehaving return()', () => {
  it('that throws synchronously: reported, and the break still completes', async () => {
    const channel = listen<{ phase: string; error: unknown; source: { name: string } }>(channelNames.sourceError);
    try {
      const failure = new Error('sync cleanup failure');
      const source: AsyncIterable<number> = {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.resolve({ done: false, value: 1 }),
          return: () => {
            throw failure;
          },
        }),
      };
      let after = false;
      await new Cancelable().run(async (scope) => {
        for await (const _ of cancelableStream(source, scope)) break;
        after = true;
      });
      expect(after).toBe(true);
      expect(channel.messages.map((m) => [m.source.name, m.phase, m.error])).toEqual([['stream', 'return', failure]]);
    } finally {
      channel.stop();
    }
  });

  it("that rejects (a generator whose finally throws): reported, the consumer's break completes", async () => {
    const channel = listen<{ phase: string; error: unknown }>(channelNames.sourceError);
    try {
      const failure = new Error('finally failure');
      async function* badCleanup(): AsyncGenerator<number> {
        try {
          yield 1;
          yield 2;
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw failure;
        }
      }
      const value = await new Cancelable().run(async (scope) => {
        for await (const _ of cancelableStream(badCleanup(), scope)) break;
        return 'completed';
      });
      expect(value).toBe('completed');
      expect(channel.messages.map((m) => m.error)).toEqual([failure]);
    } finally {
      channel.stop();
    }
  });

  it("that hangs: the break completes after the scope's graceMs, and the hang is reported", async () => {
    const channel = listen<{ phase: string; error: Error }>(channelNames.sourceError);
    try {
      const clock = new ManualClock();
      const p = probe();
      const scope = new Cancelable({ clock, graceMs: 250 });
      const stream = cancelableStream(customIterator(10, p, () => never()), scope);
      await stream.next();
      const closing = track(stream.return());
      await clock.advance(249);
      expect(closing.settled).toBe(false);
      await clock.advance(1);
      expect(closing.settled).toBe(true);
      expect(await closing.promise).toEqual({ done: true, value: undefined });
      expect(channel.messages).toHaveLength(1);
      expect(channel.messages[0]?.phase).toBe('return');
      expect(channel.messages[0]?.error.message).toMatch(/did not settle within 250ms/);
      expect(clock.pendingTimers).toBe(0);
    } finally {
      channel.stop();
    }
  });

  it('that hangs at the end of the source: the end still arrives (after at most graceMs)', async () => {
    const clock = new ManualClock();
    const run = track(
      new Cancelable({ clock, graceMs: 30 }).run(async (scope) => {
        const seen: number[] = [];
        for await (const item of cancelableStream(customIterator(3, probe(), () => never()), scope)) seen.push(item);
        return seen;
      }),
    );
    await clock.advance(30); // the grace bounds any wait on the hanging return()
    expect(run.settled).toBe(true);
    expect(await run.promise).toEqual([0, 1, 2]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('that hangs, with graceMs Infinity: waited for (the scope said so)', async () => {
    let release!: () => void;
    const scope = new Cancelable({ graceMs: Infinity });
    const stream = cancelableStream(
      customIterator(10, probe(), () => new Promise((resolve) => (release = () => resolve({ done: true, value: undefined })))),
      scope,
    );
    await stream.next();
    const closing = track(stream.return());
    await flush();
    expect(closing.settled).toBe(false);
    release();
    await flush();
    expect(closing.settled).toBe(true);
  });

  it('a well-behaved return() leaves no timer behind', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock });
    for await (const _ of cancelableStream(counting(3, probe()), scope)) break;
    for await (const _ of cancelableStream(counting(3, probe()), scope)) {
      // drain
    }
    expect(clock.pendingTimers).toBe(0);
  });
});
