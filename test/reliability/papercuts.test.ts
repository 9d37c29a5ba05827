/**
 * Issue 16 #15: bad input named at the call — an out-of-range deadline, assignments to `graceMs` and
 * `name` — and a context that serialises whatever the metadata holds (BigInt included).
 */
import { describe, expect, it } from 'vitest';
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
