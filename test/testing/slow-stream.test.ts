import { describe, expect, it } from 'vitest';
import { Cancelable, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { ManualClock, createSlowStream, flushMicrotasks } from '../../src/testing/index.js';

describe('createSlowStream', () => {
  it('yields the items with the delay between them (none before the first)', async () => {
    const clock = new ManualClock();
    const stream = createSlowStream(['a', 'b', 'c'], 100, { clock });
    const seen: string[] = [];
    const consume = (async () => {
      for await (const item of stream) seen.push(`${item}@${clock.now()}`);
    })();
    await clock.runAll();
    await consume;
    expect(seen).toEqual(['a@0', 'b@100', 'c@200']);
    expect(stream.yielded).toBe(3);
    expect(stream.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('delayFirst waits before the first item too; a 0 delay uses no timer', async () => {
    const clock = new ManualClock();
    const delayed = createSlowStream([1], 50, { clock, delayFirst: true });
    const first = delayed.next();
    await clock.advance(49);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    await expect(first).resolves.toEqual({ done: false, value: 1 });
    const instant = createSlowStream([1, 2, 3], 0, { clock });
    const items: number[] = [];
    for await (const item of instant) items.push(item);
    expect(items).toEqual([1, 2, 3]);
  });

  it('with a scope: runs on its clock, and a pending delay rejects at once on cancellation', async () => {
    const clock = new ManualClock();
    const scope = Cancelable.withTimeout(250, { clock });
    let stream!: ReturnType<typeof createSlowStream<number>>;
    const seen: number[] = [];
    const run = scope
      .run(async (s) => {
        stream = createSlowStream([1, 2, 3, 4, 5], 100, s);
        for await (const n of stream) seen.push(n);
      })
      .catch((error: unknown) => error);
    await clock.advance(250);
    const error = await run;
    expect(error).toBeInstanceOf(TimeoutCancelation);
    expect(error).toBe(scope.cancelError);
    expect(seen).toEqual([1, 2, 3]);
    expect(scope.context.durationMs).toBe(250);
    expect(stream.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with a signal: a pending delay rejects with the reason', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const stream = createSlowStream([1, 2], 100, { clock, signal: controller.signal });
    await expect(stream.next()).resolves.toEqual({ done: false, value: 1 });
    const second = stream.next();
    controller.abort(new Error('aborted'));
    await expect(second).rejects.toThrow('aborted');
    await expect(stream.next()).resolves.toEqual({ done: true, value: undefined });
    expect(clock.pendingTimers).toBe(0);
  });

  it('return() works while a next() is pending, and is counted', async () => {
    const clock = new ManualClock();
    const stream = createSlowStream([1, 2, 3], 1_000, { clock });
    await stream.next();
    const pending = stream.next();
    await flushMicrotasks();
    expect(clock.pendingTimers).toBe(1); // the delay is running
    await expect(stream.return()).resolves.toEqual({ done: true, value: undefined });
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(stream.returnCalls).toBe(1);
    expect(stream.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a consumer that breaks calls return()', async () => {
    const stream = createSlowStream([1, 2, 3], 0);
    for await (const n of stream) if (n === 2) break;
    expect(stream.returnCalls).toBe(1);
    expect(stream.yielded).toBe(2);
  });

  it('reads items lazily: an endless generator is an endless stream', async () => {
    const clock = new ManualClock();
    function* naturals(): Generator<number> {
      for (let n = 0; ; n++) yield n;
    }
    const token = new Cancelable({ clock });
    const run = token.run(async (s) => {
      let last = -1;
      for await (const n of createSlowStream(naturals(), 10, s)) {
        last = n;
        if (n === 3) s.cancel('enough');
      }
      return last;
    });
    const outcome = expect(run).rejects.toBeInstanceOf(ManualCancelation);
    await clock.advance(100);
    await outcome;
  });

  it('concurrent next() calls are served in order', async () => {
    const clock = new ManualClock();
    const stream = createSlowStream(['a', 'b', 'c'], 10, { clock });
    const all = Promise.all([stream.next(), stream.next(), stream.next(), stream.next()]);
    await clock.advance(20);
    expect((await all).map((r) => r.value)).toEqual(['a', 'b', 'c', undefined]);
  });

  it('validates its inputs', () => {
    expect(() => createSlowStream(5 as never)).toThrow(/items must be an iterable .* got 5/);
    expect(() => createSlowStream([], -1)).toThrow(/delayMs must be a finite number of milliseconds >= 0, got -1/);
    expect(() => createSlowStream([], 1, 'scope' as never)).toThrow(/third argument must be a Cancelable or an options object/);
    expect(() => createSlowStream([], 1, { scope: {} as never })).toThrow(/options\.scope must be a Cancelable/);
    expect(() => createSlowStream([], 1, { clock: {} as never })).toThrow(/options\.clock must be a Clock/);
    expect(() => createSlowStream([], 1, { signal: {} as never })).toThrow(/options\.signal must be an AbortSignal/);
  });
});
