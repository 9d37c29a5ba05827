import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cancelable,
  CancelationToken,
  ConditionCancelation,
  ManualCancelation,
  SignalCancelation,
  TimeoutCancelation,
  TimeoutSource,
  cancelableCombine,
  cancelableWithCondition,
  cancelableWithSignal,
  cancelableWithToken,
} from '../../src/index.js';
import { flushMicrotasks } from '../../src/testing/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Waits until `check()` holds, for at most `turns` event-loop turns (no timers: deterministic). */
async function until(check: () => boolean, what: string, turns = 100): Promise<void> {
  for (let turn = 0; !check(); turn++) {
    if (turn >= turns) throw new Error(`${what} did not appear within ${turns} event-loop turns`);
    await flushMicrotasks();
  }
}

describe('cancelableWithToken', () => {
  it('cancels every call in flight with the token’s message; later calls start cancelled', async () => {
    const token = new CancelationToken();
    const scopes: Cancelable[] = [];
    const job = cancelableWithToken(token, async (scope, id: number) => {
      scopes.push(scope);
      await scope.sleep(60_000);
      return id;
    });
    const calls = [job(1), job(2), job(3)].map((p) => p.catch((error: unknown) => error));
    expect(scopes).toHaveLength(3);
    await token.cancel('User clicked cancel');
    for (const error of await Promise.all(calls)) {
      expect(error).toBeInstanceOf(ManualCancelation);
      expect((error as ManualCancelation).message).toBe('User clicked cancel');
    }
    expect(scopes.map((s) => s.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    await expect(job(4)).rejects.toBeInstanceOf(ManualCancelation);
    expect(token.listenerCount).toBe(0); // every call let go of the token
  });

  it('takes options and has a wrapper form', async () => {
    const token = new CancelationToken();
    const wrap = cancelableWithToken(token, { timeout: 50, name: 'tokened' });
    const fn = wrap(async (scope) => {
      expect(scope.name).toBe('tokened');
      await scope.sleep(60_000);
    });
    vi.useFakeTimers();
    const caught = fn().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(50);
    expect(await caught).toBeInstanceOf(TimeoutCancelation);
    expect(token.isCancelled).toBe(false); // a scope never cancels the token it listens to
  });

  it('validates its input at wrap time', () => {
    expect(() => cancelableWithToken('x' as never, async () => 1)).toThrow(/token must be a CancelationToken, got "x"/);
    expect(() => cancelableWithToken(new CancelationToken(), async () => 1, { timeout: -1 })).toThrow(RangeError);
    expect(() => cancelableWithToken(new CancelationToken(), 5 as never)).toThrow(/options must be an options object/);
  });
});

describe('cancelableWithSignal (real OS signals)', () => {
  it('cancels the calls in flight when the process receives the signal', async () => {
    const before = process.listenerCount('SIGUSR2');
    const serve = cancelableWithSignal('SIGUSR2', async (scope, port: number) => {
      await scope.sleep(60_000);
      return port;
    });
    const calls = [serve(1), serve(2)].map((p) => p.catch((error: unknown) => error));
    // Only signal once a listener is installed: SIGUSR2's default action would end the test process.
    await until(() => process.listenerCount('SIGUSR2') > before, 'the SIGUSR2 listener');
    process.kill(process.pid, 'SIGUSR2');
    for (const error of await Promise.all(calls)) {
      expect(error).toBeInstanceOf(SignalCancelation);
      expect((error as SignalCancelation).signal).toBe('SIGUSR2');
    }
    expect(process.listenerCount('SIGUSR2')).toBe(before); // removed when the last call ended
  });

  it('takes a list of signals and options; bad signals throw at wrap time', async () => {
    const wrap = cancelableWithSignal(['SIGUSR2', 'SIGHUP'], { name: 'daemon' });
    const names = await wrap(async (scope) => scope.name)();
    expect(names).toBe('daemon');
    expect(() => cancelableWithSignal(42 as never, async () => 1)).toThrow(/signals must be a signal name/);
    expect(() => cancelableWithSignal([1] as never, async () => 1)).toThrow(/signals\[0\] must be a signal name/);
    expect(() => cancelableWithSignal('SIGKILL', async () => 1)).toThrow(/SIGKILL/);
  });
});

describe('cancelableWithCondition', () => {
  it('cancels each call when the predicate turns true', async () => {
    vi.useFakeTimers();
    const controller = { shouldStop: false };
    const runJob = cancelableWithCondition(
      () => controller.shouldStop,
      100,
      async (scope, name: string) => {
        await scope.sleep(60_000);
        return name;
      },
      { conditionName: 'stop flag' },
    );
    const calls = [runJob('a'), runJob('b')].map((p) => p.catch((error: unknown) => error));
    await vi.advanceTimersByTimeAsync(250);
    controller.shouldStop = true;
    await vi.advanceTimersByTimeAsync(100);
    for (const error of await Promise.all(calls)) {
      expect(error).toBeInstanceOf(ConditionCancelation);
      expect((error as ConditionCancelation).conditionName).toBe('stop flag');
      expect((error as ConditionCancelation).message).toMatch(/^Condition 'stop flag' met after \d+ checks$/);
    }
  });

  it('defaults the interval, has a wrapper form, validates eagerly', async () => {
    const wrap = cancelableWithCondition(() => false, undefined, { name: 'cond' });
    await expect(wrap(async (scope) => scope.name)()).resolves.toBe('cond');
    expect(() => cancelableWithCondition('x' as never, 100, async () => 1)).toThrow(/predicate must be a function/);
    expect(() => cancelableWithCondition(() => false, 0, async () => 1)).toThrow(RangeError);
  });
});

describe('cancelableCombine', () => {
  it('honours every source and token of every input; the first to fire wins with its reason', async () => {
    vi.useFakeTimers();
    const tokenA = new CancelationToken();
    const scopeWithToken = Cancelable.withToken(tokenA);
    const template = Cancelable.withTimeout(5_000);
    const looseToken = new CancelationToken();
    const controller = new AbortController();
    const combined = cancelableCombine(
      [template, scopeWithToken, looseToken, controller.signal, new TimeoutSource(3_000)],
      async (scope) => {
        await scope.sleep(60_000);
      },
    );
    const byTokenA = combined().catch((error: unknown) => error);
    await tokenA.cancel('token A');
    expect(await byTokenA).toMatchObject({ reason: 'manual', message: 'token A' });

    const byTemplateToken = new CancelationToken(); // (tokenA is spent: use fresh inputs)
    const template2 = Cancelable.withTimeout(5_000);
    const combined2 = cancelableCombine([template2, Cancelable.withToken(byTemplateToken)], async (scope) => {
      await scope.sleep(60_000);
    });
    const viaInputScopeToken = combined2().catch((error: unknown) => error);
    await template2.token.cancel('input scope token'); // the input scope's own token, read only now
    expect(await viaInputScopeToken).toMatchObject({ reason: 'manual', message: 'input scope token' });

    await expect(combined2()).rejects.toMatchObject({ message: 'input scope token' }); // and stays so

    const fresh = cancelableCombine([Cancelable.withTimeout(5_000), new TimeoutSource(3_000)], async (scope) =>
      scope.sleep(60_000),
    );
    const earliest = fresh().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await earliest).toMatchObject({ reason: 'timeout', timeoutMs: 3_000 });

    const byAbort = cancelableCombine([controller.signal], async (scope) => scope.sleep(60_000))().catch(
      (error: unknown) => error,
    );
    controller.abort();
    expect(await byAbort).toMatchObject({ reason: 'manual' });
    expect(looseToken.listenerCount).toBe(0);
  });

  it('reads the inputs at each call: a source added to an input scope later counts', async () => {
    const input = new Cancelable();
    const combined = cancelableCombine([input], async (scope) => scope.sleep(60_000), { name: 'late-source' });
    input.addSource(new TimeoutSource(0));
    await expect(combined()).rejects.toBeInstanceOf(TimeoutCancelation);
  });

  it('has a wrapper form and validates eagerly', async () => {
    const wrap = cancelableCombine([new CancelationToken()], { name: 'combo' });
    await expect(wrap(async (scope) => scope.name)()).resolves.toBe('combo');
    expect(() => cancelableCombine('x' as never, async () => 1)).toThrow(/items must be an array/);
    expect(() => cancelableCombine([42 as never], async () => 1)).toThrow(/items\[0\] must be a Cancelable/);
  });
});
