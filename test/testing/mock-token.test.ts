import { describe, expect, it } from 'vitest';
import { Cancelable, CancelationToken, ManualCancelation, TimeoutCancelation } from '../../src/index.js';
import { ManualClock, MockCancelationToken } from '../../src/testing/index.js';

describe('MockCancelationToken', () => {
  it('is a real token that records every cancel call, accepted or not', async () => {
    const clock = new ManualClock({ now: 1_000 });
    const token = new MockCancelationToken({ clock });
    expect(token).toBeInstanceOf(CancelationToken);
    expect(token.cancelCount).toBe(0);
    expect(token.lastCall).toBeUndefined();
    await expect(token.cancel('first')).resolves.toBe(true);
    await clock.advance(5);
    expect(token.cancelSync({ reason: 'timeout', message: 'second' })).toBe(false);
    await expect(token.cancel()).resolves.toBe(false);
    expect(token.cancelCount).toBe(3);
    expect(token.calls).toEqual([
      { method: 'cancel', argument: 'first', reason: 'manual', message: 'first', at: 1_000, accepted: true },
      {
        method: 'cancelSync',
        argument: { reason: 'timeout', message: 'second' },
        reason: 'timeout',
        message: 'second',
        at: 1_005,
        accepted: false,
      },
      { method: 'cancel', argument: undefined, reason: 'manual', message: undefined, at: 1_005, accepted: false },
    ]);
    expect(token.lastCall?.method).toBe('cancel');
    // The first cancel won, as with any token.
    expect(token.reason).toBe('manual');
    expect(token.message).toBe('first');
  });

  it('records invalid calls too, and still throws for them', () => {
    const token = new MockCancelationToken();
    expect(() => token.cancel({ reason: 'bogus' as never })).toThrow(/reason must be one of/);
    expect(() => token.cancelSync(42 as never)).toThrow(TypeError);
    expect(token.calls.map((call) => [call.method, call.accepted, call.reason, call.error instanceof TypeError])).toEqual([
      ['cancel', false, undefined, true],
      ['cancelSync', false, undefined, true],
    ]);
    expect(token.isCancelled).toBe(false);
    token.clearCalls();
    expect(token.cancelCount).toBe(0);
  });

  it('drives scopes like any token', async () => {
    const token = new MockCancelationToken();
    const run = Cancelable.withToken(token).run(async (scope) => {
      await token.cancel('Stopped by user');
      await scope.sleep(1_000);
    });
    await expect(run).rejects.toMatchObject({ message: 'Stopped by user' });
    await expect(run).rejects.toBeInstanceOf(ManualCancelation);
    expect(token.calls).toHaveLength(1);
  });

  it('scheduleCancel cancels on its clock; the returned function unschedules; dispose clears all', async () => {
    const clock = new ManualClock();
    const token = new MockCancelationToken({ clock });
    const off = token.scheduleCancel(100, 'early');
    token.scheduleCancel(300, { reason: 'timeout', message: 'late' });
    expect(token.scheduledCount).toBe(2);
    off();
    off();
    expect(token.scheduledCount).toBe(1);
    await clock.advance(299);
    expect(token.isCancelled).toBe(false);
    await clock.advance(1);
    expect(token.isCancelled).toBe(true);
    expect(token.reason).toBe('timeout');
    expect(token.calls).toMatchObject([{ method: 'cancelSync', message: 'late', at: 300, accepted: true }]);
    expect(token.scheduledCount).toBe(0);

    const other = new MockCancelationToken({ clock });
    other.scheduleCancel(10);
    other.scheduleCancel(20);
    other.dispose();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(50);
    expect(other.isCancelled).toBe(false);
  });

  it('a scheduled cancel stops a scope on the same clock', async () => {
    const clock = new ManualClock();
    using token = new MockCancelationToken({ clock });
    token.scheduleCancel(250, 'enough');
    const scope = Cancelable.withToken(token, { clock });
    const run = scope.run((s) => s.sleep(1_000)).catch((error: unknown) => error);
    await clock.advance(250);
    expect(await run).toBeInstanceOf(ManualCancelation);
    expect(scope.context).toMatchObject({ cancelReason: 'manual', cancelMessage: 'enough', durationMs: 250 });
    expect(await run).not.toBeInstanceOf(TimeoutCancelation);
  });

  it('validates its inputs', () => {
    expect(() => new MockCancelationToken({ clock: {} as never })).toThrow(/options\.clock must be a Clock/);
    const token = new MockCancelationToken();
    expect(() => token.scheduleCancel(-1)).toThrow(/delayMs must be a finite number of milliseconds >= 0, got -1/);
    expect(() => token.scheduleCancel(1, { reason: 'nope' as never })).toThrow(/reason must be one of/);
    expect(token.scheduledCount).toBe(0);
  });
});
