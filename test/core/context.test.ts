/**
 * SPEC §2 `scope.context`: the fields, and JSON-serialisable in every state.
 */
import { describe, expect, it } from 'vitest';
import { Cancelable, type Clock, type OperationContext } from '../../src/index.js';
import { rejection } from './helpers.js';
import { ManualClock } from './manual-clock.js';

function roundTrips(ctx: OperationContext): void {
  expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
  expect(Object.keys(JSON.parse(JSON.stringify(ctx))).sort()).toEqual(
    [
      'id',
      'name',
      'parentId',
      'status',
      'startTime',
      'endTime',
      'durationMs',
      'cancelReason',
      'cancelMessage',
      'error',
      'progress',
      'partialResult',
      'metadata',
    ].sort(),
  );
}

describe('scope.context', () => {
  it('pending: nulls for what has not happened', () => {
    const scope = new Cancelable({ name: 'job', id: 'job-1', metadata: { user: 'ada', tags: ['a'] } });
    const ctx = scope.context;
    expect(ctx).toEqual({
      id: 'job-1',
      name: 'job',
      parentId: null,
      status: 'pending',
      startTime: null,
      endTime: null,
      durationMs: null,
      cancelReason: null,
      cancelMessage: null,
      error: null,
      progress: null,
      partialResult: null,
      metadata: { user: 'ada', tags: ['a'] },
    });
    roundTrips(ctx);
  });

  it('running, then completed: times from the clock, progress and partial results', async () => {
    const clock = new ManualClock();
    const scope = new Cancelable({ clock, name: 'timed' });
    const start = clock.now();
    let running: OperationContext | undefined;
    await scope.run((s) => {
      clock.advance(250);
      s.reportProgress('half', { pct: 50 });
      s.partialResult = { count: 3, items: [1, 2, 3] };
      running = s.context;
      clock.advance(250);
    });
    expect(running).toMatchObject({ status: 'running', startTime: start, endTime: null, durationMs: 250 });
    roundTrips(running!);
    const ctx = scope.context;
    expect(ctx).toMatchObject({
      status: 'completed',
      startTime: start,
      endTime: start + 500,
      durationMs: 500,
      progress: { message: 'half', metadata: { pct: 50 }, at: start + 250 },
      partialResult: { count: 3, items: [1, 2, 3] },
    });
    expect(scope.toJSON()).toEqual(ctx);
    roundTrips(ctx);
  });

  it('cancelled: reason and message; a child has its parent id', async () => {
    const clock = new ManualClock();
    const parent = Cancelable.withTimeout(100, { clock, name: 'parent' });
    let child: Cancelable | undefined;
    const run = rejection(
      parent.run(async () => {
        child = new Cancelable({ clock, name: 'child' });
        await child.run((c) => c.sleep(1_000));
      }),
    );
    await clock.tick(100);
    await run;
    roundTrips(parent.context);
    expect(parent.context).toMatchObject({
      status: 'cancelled',
      cancelReason: 'timeout',
      cancelMessage: 'Operation timed out after 100ms',
      durationMs: 100,
      error: null,
    });
    expect(child!.context).toMatchObject({ parentId: parent.id, cancelReason: 'parent', status: 'cancelled' });
    roundTrips(child!.context);
  });

  it('failed: the error message (or the thrown value as a string)', async () => {
    const scope = new Cancelable();
    await rejection(scope.run(() => Promise.reject(new TypeError('bad input'))));
    expect(scope.context.error).toBe('bad input');
    roundTrips(scope.context);
    // A value String() cannot convert: the context (and so onError) must still work, and run() settle.
    const bare = Object.create(null) as object;
    const odd = new Cancelable();
    const seen: (string | null)[] = [];
    odd.onError((ctx) => void seen.push(ctx.error));
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    expect(await rejection(odd.run(() => Promise.reject(bare)))).toBe(bare);
    expect(seen).toEqual(['[object Object]']);
    roundTrips(odd.context);
    const crossRealm = new Cancelable();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    await rejection(crossRealm.run(() => Promise.reject({ name: 'Error', message: 'from a worker' })));
    expect(crossRealm.context.error).toBe('from a worker');
    const weird = new Cancelable();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    await rejection(weird.run(() => Promise.reject(42)));
    expect(weird.context.error).toBe('42');
    roundTrips(weird.context);
  });

  it('is a snapshot: later changes do not alter it', async () => {
    const scope = new Cancelable();
    const before = scope.context;
    await scope.run(() => undefined);
    expect(before.status).toBe('pending');
    expect(scope.context.status).toBe('completed');
  });

  it('the id is a UUID by default, stable, and given ids are kept', () => {
    const scope = new Cancelable();
    expect(scope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(scope.context.id).toBe(scope.id);
    expect(new Cancelable().id).not.toBe(scope.id);
  });
});

// Mutation testing (docs/reliability.md, survivors of snapshot.ts): a clock with a monotonic reading
// (the wall clock may step), thrown values that are not errors, and progress metadata that JSON cannot
// encode.
describe('scope.context: clocks and odd values', () => {
  /** A clock whose wall time and monotonic time are set apart (the wall clock may step). */
  function steppingClock(): { clock: Clock; time: { wall: number; mono: number } } {
    const time = { wall: 1_700_000_000_000, mono: 5_000 };
    const clock: Clock = {
      now: () => time.wall,
      monotonic: () => time.mono,
      setTimeout: (callback, ms, arg) => setTimeout(callback, ms, arg),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    return { clock, time };
  }

  it('durations follow the monotonic clock; the wall-clock start is derived once; the end is fixed', async () => {
    const { clock, time } = steppingClock();
    const scope = new Cancelable({ clock });
    const seen: OperationContext[] = [];
    await scope.run(() => {
      time.mono += 200;
      time.wall += 200;
      seen.push(scope.context); // start derived now: the wall clock minus the 200 ms elapsed
      time.mono += 300;
      time.wall -= 3_600_000; // the wall clock steps back an hour
      seen.push(scope.context);
    });
    time.mono += 1_000;
    time.wall += 1_000;
    const ended = scope.context;
    expect(seen.map((c) => [c.startTime, c.durationMs])).toEqual([
      [1_700_000_000_000, 200],
      [1_700_000_000_000, 500],
    ]);
    expect([ended.startTime, ended.durationMs, ended.endTime]).toEqual([1_700_000_000_000, 500, 1_700_000_000_500]);
  });

  it('a run that fails with null, undefined or an unprintable value still has an error string', async () => {
    const unprintable = new Proxy(
      {},
      {
        get() {
          throw new Error('no reading');
        },
        getPrototypeOf() {
          throw new Error('no prototype');
        },
      },
    );
    const errors: (string | null)[] = [];
    for (const value of [null, undefined, unprintable]) {
      const scope = new Cancelable();
      // Not through rejection(): it reads the error's cause, which the proxy refuses.
      const outcome = await scope.run(
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        () => Promise.reject(value),
      ).then(
        () => 'resolved',
        (error: unknown) => (error === value ? 'rejected with it' : 'rejected with something else'),
      );
      expect(outcome).toBe('rejected with it');
      errors.push(scope.context.error);
    }
    expect(errors).toEqual(['null', 'undefined', 'an unprintable value']);
  });

  it("progress metadata JSON cannot encode is copied into the context (a BigInt as a string); the report's own is kept", async () => {
    const scope = new Cancelable();
    const metadata = { rows: 10n, step: 'load' };
    let ctx: OperationContext | undefined;
    await scope.run((s) => {
      s.reportProgress('loading', metadata);
      ctx = s.context;
    });
    expect(ctx?.progress).toMatchObject({ message: 'loading', metadata: { rows: '10', step: 'load' } });
    expect(metadata.rows).toBe(10n);
    roundTrips(ctx!);
  });
});

