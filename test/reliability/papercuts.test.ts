/**
 * Issue 16 #15: bad input named at the call — an out-of-range deadline, assignments to `graceMs` and
 * `name` — and a context that serialises whatever the metadata holds (BigInt included).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { Cancelable, DeadlineSource } from '../../src/index.js';

describe('deadlines outside the range of Date (issue 16 #15)', () => {
  it('withDeadline(1e16) is a RangeError naming the parameter and the value', () => {
    expect(() => Cancelable.withDeadline(1e16)).toThrow(RangeError);
    expect(() => Cancelable.withDeadline(1e16)).toThrow(/^deadline must be a valid Date or epoch milliseconds within ±8640000000000000 \(the range of Date\), got 10000000000000000$/);
    expect(() => Cancelable.withDeadline(new Date(Number.NaN))).toThrow(/deadline .* got "Invalid Date"/);
    expect(() => new Cancelable({ deadline: -1e16 })).toThrow(/^options\.deadline must be a valid Date/);
    expect(() => new DeadlineSource(Number.POSITIVE_INFINITY)).toThrow(/deadline .* got Infinity/);
  });
});

describe('scope.graceMs and scope.name assignments (issue 16 #15)', () => {
  it('graceMs: a duration >= 0 or Infinity, checked at the assignment', () => {
    const scope = new Cancelable();
    for (const bad of [-1, Number.NaN]) {
      expect(() => {
        scope.graceMs = bad;
      }).toThrow(RangeError);
    }
    expect(() => {
      scope.graceMs = '5' as never;
    }).toThrow(/^graceMs must be a number of milliseconds, got "5"$/);
    expect(scope.graceMs).toBe(100);
    scope.graceMs = Infinity;
    expect(scope.graceMs).toBe(Infinity);
    scope.graceMs = 2 ** 31;
    expect(scope.graceMs).toBe(2 ** 31);
  });

  it('graceMs applies to the next grace period, and cannot change once the scope ended', async () => {
    const scope = new Cancelable();
    const started = Date.now();
    const run = scope.run(async (s) => {
      s.graceMs = 20;
      s.cancel();
      await new Promise(() => undefined); // ignores the cancellation
    });
    await expect(run).rejects.toMatchObject({ name: 'ManualCancelation' });
    expect(Date.now() - started).toBeLessThan(2_000); // the new 20 ms grace (generous bound)
    expect(() => {
      scope.graceMs = 5;
    }).toThrow(/graceMs cannot be set after the scope ended/);
  });

  it('name: a non-empty string, before the scope starts', async () => {
    const scope = new Cancelable();
    expect(() => {
      scope.name = 42 as never;
    }).toThrow(/^name must be a string, got 42$/);
    expect(() => {
      scope.name = '';
    }).toThrow(RangeError);
    scope.name = 'renamed';
    expect(scope.name).toBe('renamed');
    expect(scope.context.name).toBe('renamed');
    await scope.run(() => {
      expect(() => {
        scope.name = 'late';
      }).toThrow(/name can only be set before the scope starts; 'renamed' is running/);
    });
    expect(scope.name).toBe('renamed');
  });
});

describe('scope.context with BigInt metadata (issue 16 #15)', () => {
  it('serialises: bigints become strings, everywhere in the context', async () => {
    const scope = new Cancelable({ metadata: { total: 10n, nested: { ids: [1n, 2n] } } });
    scope.partialResult = { bytes: 123n };
    expect(() => JSON.stringify(scope.context)).not.toThrow();
    await scope.run((s) => s.reportProgress('half', { done: 5n }));
    const parsed = JSON.parse(JSON.stringify(scope)) as Record<string, unknown>;
    expect(parsed.metadata).toEqual({ total: '10', nested: { ids: ['1', '2'] } });
    expect(parsed.partialResult).toEqual({ bytes: '123' });
    expect(parsed.progress).toMatchObject({ message: 'half', metadata: { done: '5' } });
    // The user's own object is left as it was.
    expect(scope.metadata.total).toBe(10n);
  });
});

describe('durations are monotonic (issue 16 #5)', () => {
  it('a wall clock stepped back 1 h during a run gives no negative durationMs; start/end stay wall-clock times', async () => {
    const realNow = Date.now.bind(Date);
    let offset = 0;
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const ends: number[] = [];
    const onEnd = (message: unknown): void => {
      ends.push((message as { durationMs: number }).durationMs);
    };
    subscribe('cancelable:end', onEnd);
    try {
      const scope = new Cancelable({ name: 'stepped' });
      let during = Number.NaN;
      await scope.run(async (s) => {
        await s.sleep(20);
        offset = -3_600_000; // NTP (or an operator) steps the wall clock back one hour
        await s.sleep(20);
        during = s.context.durationMs!;
      });
      const context = scope.context;
      expect(during).toBeGreaterThanOrEqual(30);
      expect(context.durationMs).toBeGreaterThanOrEqual(35);
      expect(context.durationMs).toBeLessThan(5_000);
      expect(context.endTime! - context.startTime!).toBeCloseTo(context.durationMs!, 3);
      expect(ends).toHaveLength(1);
      expect(ends[0]).toBeGreaterThanOrEqual(35);
      expect(ends[0]).toBeLessThan(5_000);
    } finally {
      unsubscribe('cancelable:end', onEnd);
      spy.mockRestore();
    }
  });

  it('a custom clock without monotonic() that steps back never gives a negative duration', async () => {
    let now = 1_000_000;
    const clock = {
      now: () => now,
      setTimeout: <T,>(callback: (arg: T) => void, ms: number, arg: T): unknown => setTimeout(callback, ms, arg),
      clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
    };
    const scope = new Cancelable({ clock });
    await scope.run(() => {
      now -= 3_600_000;
    });
    expect(scope.context.durationMs).toBe(0);
  });
});
